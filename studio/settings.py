"""``[studio]`` settings: defined with the kiosk's config schema in :mod:`runtime.studio_settings`
(the runtime imports no Studio code); re-exported here for the Studio's modules."""

from runtime.studio_settings import StudioConfig

__all__ = ["StudioConfig"]
