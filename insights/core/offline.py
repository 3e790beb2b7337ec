"""Make litellm and tiktoken work without network (these machines and many deployments have none).

- litellm downloads a model price map at import unless told to use its bundled copy.
- tiktoken downloads its BPE files on first use; litellm ships cl100k_base and o200k_base.
Must run before the first ``import litellm`` / ``tiktoken.get_encoding``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path


def configure_offline_defaults() -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    if "TIKTOKEN_CACHE_DIR" not in os.environ:
        spec = importlib.util.find_spec("litellm")
        if spec and spec.submodule_search_locations:
            tok = Path(spec.submodule_search_locations[0]) / "litellm_core_utils" / "tokenizers"
            if tok.is_dir():
                os.environ["TIKTOKEN_CACHE_DIR"] = str(tok)
