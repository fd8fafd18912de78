"""``city``: "Shining Gwangju" (빛나는 광주 탐험): visitors' light wakes up a night map of Gwangju.

Modules: :mod:`.settings` (``[exhibits.city]``), :mod:`.landmarks` (the curators' CSV and its
validator), :mod:`.projection` (lat/lon → screen, the constellation), :mod:`.light` (light field
and trails), :mod:`.glow` (the CPPN texture), :mod:`.pictograms` (the landmarks NCA),
:mod:`.cards` (bilingual cards and their placement), :mod:`.discovery`, :mod:`.ghosts`,
:mod:`.badges`, :mod:`.basemap` and :mod:`.passes` (the exhibit's rooms and drawing passes),
:mod:`.prepared` (what is kept in ``ctx.store`` across showings), :mod:`.exhibit` (the exhibit).
"""
