"""The tests' name for the one fake model, ``evals/fake_model.py`` (respx on litellm's real path)."""

from evals.fake_model import API_BASE, MODEL, URL, completion, prompt_of, scripted, section_of

__all__ = ["API_BASE", "MODEL", "URL", "completion", "prompt_of", "scripted", "section_of"]
