"""A LoRA adapter for the configured GGUF model, trained on the CPU (torch, transformers, peft: `make setup-adapt`).

transformers reads the GGUF file itself (its Q4_1/Q8_0 weights dequantized
to float32), so the adapter is trained on the very model the chat serves and
llama.cpp applies it to the quantized file (../shared/FACTS.md: logits track
at correlation 0.999). Measured fastest on an AVX-512 CPU: bfloat16 autocast (float32 on AVX2 alone), and the
loss on the reply's tokens only, so the 49k-word output layer runs for those
alone.

A run lives in its own folder, named by what it is trained on (data, base
model, settings): it checkpoints every few steps and on an interrupt, and
the same command started again resumes from its last checkpoint. A time bound
(``minutes``) ends a run early with the adapter as trained so far; starting it
again goes on with the rest of its steps.
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
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from storage import swap_in

from .dataset import Record

TARGET_MODULES = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"]
IGNORE = -100  # label of a token the loss skips (the prompt)


@dataclass(frozen=True)
class TrainConfig:
    rank: int = 16
    alpha: int = 32
    learning_rate: float = 2e-4
    batch_size: int = 4
    epochs: float = 1.0
    max_tokens: int = 1024  # records longer than this (prompt and reply) are left out
    threads: int = 1  # one thread was faster than two whenever anything else ran (FACTS.md)
    checkpoint_steps: int = 25
    seed: int = 0

    def signature(self) -> dict:
        """What changes the result (not threads or checkpoint spacing): part of the run's name."""
        values = asdict(self)
        del values["threads"], values["checkpoint_steps"]
        return values


@dataclass(frozen=True)
class TrainResult:
    folder: Path  # the run's folder
    adapter: Path  # the PEFT adapter (adapter_config.json, adapter_model.safetensors)
    base_config: Path  # the base model's config and tokenizer, which the GGUF conversion reads
    steps: int
    total_steps: int
    loss: float  # mean over the last steps
    seconds: float  # training time of this invocation
    tokens_per_second: float
    records: int
    resumed_from: int  # 0: a fresh run

    @property
    def complete(self) -> bool:
        return self.steps >= self.total_steps

    def to_json(self) -> dict:
        return {key: str(value) if isinstance(value, Path) else value for key, value in asdict(self).items()} | {
            "complete": self.complete}


def run_folder(runs: Path, records: list[Record], model_path: Path, config: TrainConfig) -> Path:
    """The run's folder, named by a hash of its data, base model and settings."""
    digest = hashlib.sha256()
    for record in records:
        digest.update(json.dumps([record.messages, record.target], ensure_ascii=False).encode("utf-8"))
    stat = model_path.stat()
    digest.update(json.dumps([str(model_path), stat.st_size, config.signature()]).encode("utf-8"))
    return runs / digest.hexdigest()[:12]


def train(records: list[Record], model_path: Path, folder: Path, config: TrainConfig,
          minutes: float | None = None, progress=sys.stderr) -> TrainResult:
    import torch

    torch.set_num_threads(config.threads)
    torch.manual_seed(config.seed)
    model, tokenizer = load_base(model_path)
    base_config = folder / "base"
    if not (base_config / "config.json").exists():
        model.config.architectures = [type(model).__name__]  # how the converter tells the architecture
        model.config.save_pretrained(base_config)
        tokenizer.save_pretrained(base_config)
    examples = [e for e in (encode(r, tokenizer) for r in records) if len(e[0]) <= config.max_tokens]
    if not examples:
        raise ValueError(f"no training record fits in {config.max_tokens} tokens")
    batches = length_batches(examples, config.batch_size, config.seed)
    total = max(1, math.ceil(len(batches) * config.epochs))
    peft_model, optimizer, scheduler = _trainer(model, config, total)
    checkpoint = folder / "checkpoint"
    start = _resume(checkpoint, peft_model, optimizer, scheduler)
    started, tokens, losses, step = time.monotonic(), 0, [], start
    previous = signal.signal(signal.SIGTERM, interrupt)  # a service stop or `kill` stops it as Ctrl-C does
    try:
        if start:
            print(f"resuming from step {start}/{total} ({checkpoint})", file=progress, flush=True)
        for step in range(start, total):
            ids, labels, mask = _tensors(batches[step % len(batches)], tokenizer.pad_token_id or 0)
            loss = _step(peft_model, optimizer, scheduler, ids, labels, mask)
            tokens += int(mask.sum())
            losses.append(loss)
            elapsed = time.monotonic() - started
            done = step + 1
            if done % config.checkpoint_steps == 0:
                _save_checkpoint(checkpoint, peft_model, optimizer, scheduler, done)
            if done % 5 == 0 or done == total:
                eta = elapsed / (done - start) * (total - done)
                if minutes is not None:
                    eta = min(eta, minutes * 60 - elapsed)
                print(f"step {done}/{total} · loss {sum(losses[-20:]) / len(losses[-20:]):.3f} · "
                      f"{tokens / elapsed:.0f} tokens/s · ETA {duration(eta)}", file=progress, flush=True)
            if minutes is not None and elapsed >= minutes * 60:
                print(f"time bound reached ({minutes:g} min) at step {done}/{total}", file=progress, flush=True)
                break
        else:
            done = total
    except KeyboardInterrupt:
        _save_checkpoint(checkpoint, peft_model, optimizer, scheduler, step)
        print(f"stopped at step {step}/{total}; the same command resumes from there", file=progress, flush=True)
        raise
    finally:
        signal.signal(signal.SIGTERM, previous)
    _save_checkpoint(checkpoint, peft_model, optimizer, scheduler, done)
    adapter = folder / "adapter"
    peft_model.save_pretrained(adapter)
    seconds = time.monotonic() - started
    return TrainResult(folder, adapter, base_config, done, total,
                       round(sum(losses[-20:]) / max(1, len(losses[-20:])), 4) if losses else float("nan"),
                       round(seconds, 1), round(tokens / seconds, 1) if seconds else 0.0, len(examples), start)


def load_base(model_path: Path):
    """The GGUF model as a trainable transformers model (dequantized to float32) and its tokenizer.

    transformers keeps a GGUF quantizer on the model it loads, which refuses
    training; the same weights in a fresh model of the same config train
    (logits identical, FACTS.md)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    folder, name = str(model_path.parent), model_path.name
    tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
    loaded = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name, dtype=torch.float32)
    config = loaded.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32)
    model.load_state_dict(loaded.state_dict())
    return model, tokenizer


def encode(record: Record, tokenizer) -> tuple[list[int], int]:
    """Token ids of the prompt (in the model's chat template, as llama.cpp renders it) and the reply,
    and where the reply starts."""
    prompt = tokenizer.apply_chat_template(record.messages, tokenize=False, add_generation_prompt=True)
    prompt_ids = tokenizer(prompt, add_special_tokens=False)["input_ids"]
    reply_ids = tokenizer(record.target + tokenizer.eos_token, add_special_tokens=False)["input_ids"]
    return prompt_ids + reply_ids, len(prompt_ids)


def length_batches(examples: list, batch_size: int, seed: int) -> list[list]:
    """Batches of examples (each sized by ``len(example[0])`` or ``len(example)``) of similar length (less
    padding), in a seeded random order."""
    rng = random.Random(seed)
    size = (lambda e: len(e[0])) if examples and isinstance(examples[0], tuple) else len
    order = list(range(len(examples)))
    rng.shuffle(order)
    batches = []
    group = batch_size * 32
    for begin in range(0, len(order), group):
        chunk = sorted(order[begin:begin + group], key=lambda i: size(examples[i]))
        batches += [[examples[i] for i in chunk[b:b + batch_size]] for b in range(0, len(chunk), batch_size)]
    rng.shuffle(batches)
    return batches


def _tensors(batch, pad_id: int):
    import torch

    width = max(len(ids) for ids, _ in batch)
    ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), IGNORE, dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for row, (tokens, reply_start) in enumerate(batch):
        ids[row, :len(tokens)] = torch.tensor(tokens)
        labels[row, reply_start:len(tokens)] = torch.tensor(tokens[reply_start:])
        mask[row, :len(tokens)] = 1
    return ids, labels, mask


def _trainer(model, config: TrainConfig, total: int):
    import torch
    from peft import LoraConfig, get_peft_model
    from transformers import get_linear_schedule_with_warmup

    peft_model = get_peft_model(model, LoraConfig(
        r=config.rank, lora_alpha=config.alpha, lora_dropout=0.0, target_modules=TARGET_MODULES,
        task_type="CAUSAL_LM"))
    optimizer = torch.optim.AdamW([p for p in peft_model.parameters() if p.requires_grad], lr=config.learning_rate)
    scheduler = get_linear_schedule_with_warmup(optimizer, min(20, max(1, total // 20)), total)
    return peft_model, optimizer, scheduler


def _step(peft_model, optimizer, scheduler, ids, labels, mask) -> float:
    """One optimizer step; the output layer runs only where a reply token is predicted."""
    import torch
    import torch.nn.functional as F

    model = peft_model.get_base_model()
    with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bfloat16_is_fast()):
        hidden = model.model(input_ids=ids, attention_mask=mask).last_hidden_state
        wanted = labels[:, 1:] != IGNORE  # position t predicts token t+1
        logits = model.lm_head(hidden[:, :-1][wanted])
    loss = F.cross_entropy(logits.float(), labels[:, 1:][wanted])
    loss.backward()
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad(set_to_none=True)
    return loss.item()


def bfloat16_is_fast() -> bool:
    """bfloat16 autocast is the fast path where the CPU has AVX-512 (FACTS.md: 330 against 184 tokens/s);
    on a CPU with AVX2 alone torch emulates it, about 20 times slower than float32 (measured 2026-12-07)."""
    import torch

    return torch.backends.cpu.get_cpu_capability().startswith("AVX512")


def _save_checkpoint(folder: Path, peft_model, optimizer, scheduler, step: int) -> None:
    write_checkpoint(folder, step, optimizer, scheduler, lambda fresh: peft_model.save_pretrained(fresh / "adapter"))


def _resume(folder: Path, peft_model, optimizer, scheduler) -> int:
    """The step to start from: the checkpoint's (its weights and optimizer loaded), else 0."""
    from peft import set_peft_model_state_dict
    from safetensors.torch import load_file

    state = read_checkpoint(folder, optimizer, scheduler)
    if state is None:
        return 0
    set_peft_model_state_dict(peft_model, load_file(folder / "adapter" / "adapter_model.safetensors"))
    return int(state["step"])


def write_checkpoint(folder: Path, step: int, optimizer, scheduler, weights: Callable[[Path], None],
                     **extra) -> None:
    """The step, optimizer and scheduler (and ``extra``) in state.pt, the weights written by ``weights`` into
    the same folder: beside the old checkpoint, then swapped in, so a crash mid-write leaves the previous one."""
    import torch

    fresh = folder.with_name(folder.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    weights(fresh)
    torch.save({"step": step, "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), **extra},
               fresh / "state.pt")
    swap_in(fresh, folder)


def read_checkpoint(folder: Path, optimizer, scheduler) -> dict | None:
    """The checkpoint's state (optimizer and scheduler loaded from it); None when there is none."""
    import torch

    if not folder.exists():
        old = folder.with_name(folder.name + ".old")  # a crash between the two renames
        if not old.exists():
            return None
        old.rename(folder)
    state = torch.load(folder / "state.pt", weights_only=False)
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    return state


def interrupt(signum, frame) -> None:
    """SIGTERM as Ctrl-C: a service stop or `kill` ends a run at its next step, checkpoint saved."""
    raise KeyboardInterrupt


def duration(seconds: float) -> str:
    seconds = max(0, int(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600} h {seconds % 3600 // 60:02d} min"
    return f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"
