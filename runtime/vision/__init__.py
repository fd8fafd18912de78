"""Visitor tracking with OpenCV: camera capture, people with stable ids, motion and presence.

Modules (each documents its defaults and failure modes):

* :mod:`~runtime.vision.settings` — ``[camera]`` (:class:`CameraConfig`).
* :mod:`~runtime.vision.frame` — :class:`VisionFrame` (what exhibits read as ``ctx.vision``),
  :class:`Person`, and the :class:`VisionSource` protocol the kiosk finds its camera by.
* :mod:`~runtime.vision.capture` — :class:`FrameGrabber`: capture thread, newest frame only,
  reconnect with backoff; its source and status types are :mod:`~runtime.vision.capture_types`.
* :mod:`~runtime.vision.background`, :mod:`~runtime.vision.people`,
  :mod:`~runtime.vision.tracker`, :mod:`~runtime.vision.flow` — the vision stage's parts;
  :mod:`~runtime.vision.processor` runs them per frame into a :class:`VisionFrame`.
* :mod:`~runtime.vision.source` — :class:`CameraSource`, the ``VisitorSource`` for the loop.
* :mod:`~runtime.vision.calibration` / :mod:`~runtime.vision.calibration_mode` — camera → screen.
* :mod:`~runtime.vision.track_cli` — ``kiosk.py track`` (offline, MOTChallenge rows);
  :mod:`~runtime.vision.debug_video` — its opt-in annotated video (the only frame writer).
* :mod:`~runtime.vision.overlay` — diagnostic drawing; :mod:`~runtime.vision.synthetic` —
  procedural scenes for tests and benches.

Importing this package is cheap: it imports no module above (they load OpenCV).
"""
