"""Export model runs (embeddings, logits, labels) in the LSMI run format for LSMI Explorer.

See docs/run-format.md in the LSMI Explorer repository for the format.
"""

__version__ = "0.1.0"

from .runio import read_run, write_run  # noqa: E402
from .validation import RunFormatError  # noqa: E402
from .slices import Slice, SliceError, load_slice  # noqa: E402

__all__ = ["RunFormatError", "Slice", "SliceError", "load_slice", "read_run", "write_run", "__version__"]
