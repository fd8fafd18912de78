"""Our own torch models for the kiosk's visuals: growing NCA, CPPN field, inference engine.

Pure torch + numpy + PIL; never pygame or OpenCV. Importing this package is cheap: it imports
no torch. Names a curator may write in ``config.toml`` (NCA target keys, CPPN styles) are listed by
:mod:`models.catalog`, also without torch, so ``kiosk.py check`` can validate them quickly.

Modules
    catalog     model names, target keys and CPPN style names (no torch)
    targets     the RGBA images the NCAs learn: rendered digits, procedural pictograms (no torch)
    nca         the NCA module (training form) and ``NCACanvas`` (sparse inference on a big grid)
    cppn        ``CPPNField``: a latent-steered CPPN colour field
    engine      worker threads that step models off the render loop and hand over uint8 frames
    train_nca   ``python -m models.train_nca``: trains one NCA, writes weights + provenance
    eval_nca    ``python -m models.eval_nca``: the quality numbers for shipped weights
"""

from models.catalog import CPPN_STYLES, NCA_MODELS, list_styles, list_targets, weights_path

__all__ = ["CPPN_STYLES", "NCA_MODELS", "list_styles", "list_targets", "weights_path"]
