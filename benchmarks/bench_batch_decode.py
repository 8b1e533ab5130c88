"""Text decoding throughput with the bundled GGUF: single stream vs one batch of sequences.

Prints, in one run, on the same prompts and threads:
- prompt evaluation tokens/s (one long prompt, one generated token);
- single-stream raw decode tokens/s (llama-cpp-python ``create_completion``, one prompt at a
  time, prompt evaluation excluded);
- 2 worker processes with 1 thread each vs 1 process with 2 threads, single stream;
- privsynth's batched decoder with 2, 4, 8 and 16 sequences: aggregate generated tokens/s
  (prompt evaluation included, as the pipeline pays it) and the ratio to single-stream
  decode.
Every generation runs to ``--tokens`` tokens (no stop strings), so each sequence does the
same work.

Usage: python benchmarks/bench_batch_decode.py [--prompts 16] [--tokens 48]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "results" / "batch_decode.json"
PREFIX = "Support ticket notes written by agents.\n\n" + "".join(
    f"Record: plan=basic; region=north; topic=billing\nNote: The customer asked why invoice {i} "
    "was higher than usual, and we explained the new rate and the refund policy.\n\n"
    for i in range(6)
)


def prompts(n: int) -> list[str]:
    regions = ["east", "west", "north", "south"]
    return [
        PREFIX + f"Record: plan=premium; region={regions[i % 4]}; topic=outage {i}\nNote:"
        for i in range(n)
    ]


def load(threads: int) -> Any:
    from llama_cpp import Llama

    from privsynth.text.model import resolve_model

    return Llama(
        model_path=str(resolve_model(None).path),
        n_ctx=2048,
        n_threads=threads,
        n_threads_batch=threads,
        seed=0,
        verbose=False,
    )


def single_stream(llm: Any, texts: list[str], tokens: int) -> tuple[float, float]:
    """(decode tokens/s excluding prompt evaluation, prompt-eval tokens/s)."""
    gen_s = gen_n = 0.0
    for i, p in enumerate(texts):
        llm.reset()
        t0 = time.perf_counter()
        llm.create_completion(p, max_tokens=1, temperature=0.8, seed=i)
        t1 = time.perf_counter()
        out = llm.create_completion(
            p, max_tokens=tokens + 1, temperature=0.8, seed=i, repeat_penalty=1.1, stop=[]
        )
        t2 = time.perf_counter()
        n = out["usage"]["completion_tokens"] - 1
        gen_s += t2 - t1  # the prompt is cached by the first call, so this is decoding
        gen_n += n
    llm.reset()
    n_prompt = len(llm.tokenize(texts[0].encode()))
    t0 = time.perf_counter()
    llm.create_completion(texts[0], max_tokens=1)
    prompt_eval = n_prompt / (time.perf_counter() - t0)
    return gen_n / gen_s, prompt_eval


def _worker(args: tuple[list[str], int]) -> tuple[int, float]:
    texts, tokens = args
    llm = load(1)
    n, start = 0, time.perf_counter()
    for i, p in enumerate(texts):
        out = llm.create_completion(
            p, max_tokens=tokens, temperature=0.8, seed=i, repeat_penalty=1.1, stop=[]
        )
        n += out["usage"]["completion_tokens"]
    return n, time.perf_counter() - start


def two_workers(texts: list[str], tokens: int) -> float:
    halves = [(texts[0::2], tokens), (texts[1::2], tokens)]
    start = time.perf_counter()
    with mp.get_context("spawn").Pool(2) as pool:
        parts = pool.map(_worker, halves)
    return sum(n for n, _ in parts) / (time.perf_counter() - start)


def one_worker_two_threads(llm: Any, texts: list[str], tokens: int) -> float:
    n, start = 0, time.perf_counter()
    for i, p in enumerate(texts):
        out = llm.create_completion(
            p, max_tokens=tokens, temperature=0.8, seed=i, repeat_penalty=1.1, stop=[]
        )
        n += out["usage"]["completion_tokens"]
    return n / (time.perf_counter() - start)


def batched(llm: Any, texts: list[str], tokens: int, n_seq: int) -> float:
    from privsynth.text.batch import BatchDecoder

    decoder = BatchDecoder(llm, n_seq=n_seq, n_ctx_per_seq=512, n_threads=2)
    start = time.perf_counter()
    decoder.generate(
        texts, seeds=list(range(len(texts))), max_tokens=[tokens] * len(texts), stop=[]
    )
    seconds = time.perf_counter() - start
    rate = decoder.tokens_generated / seconds
    decoder.close()
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompts", type=int, default=16)
    parser.add_argument("--tokens", type=int, default=48)
    args = parser.parse_args()
    texts = prompts(args.prompts)
    llm = load(2)
    print(
        f"input: {args.prompts} prompts of {len(llm.tokenize(texts[0].encode()))} tokens, "
        f"{args.tokens} generated tokens each, 2 threads, model gemma-3-270m Q4_K_M"
    )
    decode, prompt_eval = single_stream(llm, texts[:4], args.tokens)
    print(f"prompt evaluation: {prompt_eval:.1f} tokens/s")
    print(f"single-stream raw decode: {decode:.1f} tokens/s (prompt evaluation excluded)")
    one = one_worker_two_threads(llm, texts, args.tokens)
    two = two_workers(texts, args.tokens)
    print(
        f"single stream incl. prompts: 1 process x 2 threads {one:.1f} tokens/s; "
        f"2 processes x 1 thread {two:.1f} tokens/s (ratio {two / one:.2f})"
    )
    rows: dict[str, Any] = {
        "prompt_eval_tokens_per_s": round(prompt_eval, 1),
        "single_decode_tokens_per_s": round(decode, 1),
        "one_process_two_threads": round(one, 1),
        "two_processes_one_thread": round(two, 1),
        "batched": {},
    }
    for n_seq in (2, 4, 8, 16):
        rate = batched(llm, texts, args.tokens, n_seq)
        rows["batched"][n_seq] = round(rate, 1)
        print(
            f"batched, {n_seq:>2} sequences: {rate:.1f} tokens/s aggregate "
            f"(incl. prompt evaluation); {rate / decode:.2f}x single-stream decode"
        )
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")
    print(f"written {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
