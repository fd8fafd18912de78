"""``_template``: a small working exhibit to copy when making a new one (never registered).

Copy this folder to ``exhibits/<name>/``, rename ``TemplateSettings`` and ``TemplateExhibit``,
and add one ``ExhibitSpec`` to ``exhibits/__init__.py`` (the README's "Add an exhibit" has the
steps). ``tests/test_template.py`` copies it into a fresh package and runs it, so it keeps working.
"""
