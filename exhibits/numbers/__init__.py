"""``numbers``: "Language of the Universe: Numbers" (수의 언어) — living digits grown by a neural
cellular automaton that visitors plant, damage and regrow."""
