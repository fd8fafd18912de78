"""Curator Studio: a web page to author, preview and publish the kiosk's exhibits.

``python kiosk.py studio`` serves it on http://127.0.0.1:8790/ (``[studio]`` in the config).
Modules: :mod:`studio.app` (the web app and its guards), :mod:`studio.pages` (the pages),
:mod:`studio.forms` (forms generated from the config schema), :mod:`studio.store` (draft,
validation, publish, history, rollback), :mod:`studio.tomledit` (the one TOML writer),
:mod:`studio.auth` (PIN login, lockout, sessions, CSRF), :mod:`studio.preview` and
:mod:`studio.preview_worker` (preview renders), :mod:`studio.landmarks` (the landmark table and
map), :mod:`studio.fit` (captions measured in the kiosk's font), :mod:`studio.i18n` (Korean and
English words).
"""
