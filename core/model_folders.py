"""Checks of model folders that a site administrator unpacks by hand (no downloads ever happen).

Only paths are inspected here, so ``doctor`` and the assistant's start-up can say exactly what is missing
without importing vosk or transformers.
"""

from __future__ import annotations

from pathlib import Path

#: What a vosk model folder must hold (the small models' layout).
VOSK_REQUIRED = ("am/final.mdl", "conf/mfcc.conf", "graph")
VOSK_SUGGESTED = {"zh": "vosk-model-small-cn-0.22", "en": "vosk-model-small-en-us-0.15"}


def vosk_model_problems(folder: Path) -> list[str]:
    """Missing parts of a vosk model folder; empty when it looks complete."""
    if not folder.is_dir():
        return [f"{folder} does not exist"]
    missing = [part for part in VOSK_REQUIRED if not (folder / part).exists()]
    graph = folder / "graph"
    if graph.is_dir() and not any((graph / f).exists() for f in ("HCLG.fst", "HCLr.fst")):
        missing.append("graph/HCLG.fst or graph/HCLr.fst")
    return [f"{folder} has no {part}" for part in missing]


def vosk_fix(language: str, folder: Path) -> str:
    name = VOSK_SUGGESTED.get(language, f"a vosk model for {language}")
    return f"unpack {name} so that {folder}/am/final.mdl exists (voice input for {language} stays off until then)"


def embedding_model_problems(folder: Path) -> list[str]:
    """A transformers model folder needs config.json, a tokenizer and weights."""
    if not folder.is_dir():
        return [f"{folder} does not exist"]
    problems = []
    if not (folder / "config.json").is_file():
        problems.append(f"{folder} has no config.json")
    if not any((folder / f).is_file() for f in ("tokenizer.json", "vocab.txt", "sentencepiece.bpe.model")):
        problems.append(f"{folder} has no tokenizer (tokenizer.json or vocab.txt)")
    if not any(folder.glob("*.safetensors")) and not any(folder.glob("*.bin")):
        problems.append(f"{folder} has no weights (*.safetensors or *.bin)")
    return problems
