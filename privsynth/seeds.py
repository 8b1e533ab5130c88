"""One seed stream per random step, named, so no two steps share randomness by accident.

Every random step of a run draws from ``rng(seed, Stream.X, ...)`` or ``derive(seed,
Stream.X, ...)``. The salts are the numbers earlier releases used, so a seed gives the same
rows as before; two streams that share a number are used on different data and never meet."""

from __future__ import annotations

from enum import IntEnum

import numpy as np


class Stream(IntEnum):
    """The salt of each random step."""

    CHECK_TRAIN_SAMPLE = 1
    CHECK_HOLDOUT_SAMPLE = 2
    CHECK_SYNTHETIC_SAMPLE = 3
    FIT_SAMPLE = 5
    SPLIT = 7
    MEMORY_SAMPLE = 11
    RARE_CATEGORIES = 12  # distinct from MEMORY_SAMPLE in name only; see protect.py
    DP_SAMPLE = 17
    MIXTURE_SAMPLE = 18  # distinct from DP_SAMPLE in name only; see mixture.py
    CANARIES = 21
    SUPPRESSION_THRESHOLD = 23
    FILTER_SAMPLE = 71
    CHECK_CAP = 97
    CHECK_POWER = 101
    TEXT_FAKES = 4099
    TEXT_LENGTH = 31342  # a row's target text length
    TEXT_WORDS = 31357  # a closed-vocabulary text's words
    CHUNK = 7817
    RELATIONAL_FIT = 8101  # one table's model, by its place in the parent-first order
    RELATIONAL_SAMPLE = 8111
    RELATIONAL_MATCH = 8117  # matching children to parents, surrogate keys
    ENTITY_SPLIT = 8123
    RELATIONAL_FAKES = 8129  # one table's identifier fakes
    RELATIONAL_CHECKS = 8137  # the pairs a relational check samples


# The value each stream feeds the generator: the salts of earlier releases, kept so a seed
# reproduces the same rows. Two streams that share a value never draw for the same data.
_SALT = {**{s: int(s) for s in Stream}, Stream.RARE_CATEGORIES: 11, Stream.MIXTURE_SAMPLE: 17}

# Offsets between the seeds of successive attempts of one step (seed + step * attempt).
SAMPLE_ROUND_STEP = 1000
CONSTRAINT_ROUND_STEP = 7919
MIXTURE_PART_STEP = 7
MIXTURE_GROUP_STEP = 101


def rng(seed: int, stream: Stream, *more: int) -> np.random.Generator:
    """The generator of one step (and of one part of it, ``more``)."""
    return np.random.default_rng([seed, _SALT[stream], *more])


def derive(seed: int, stream: Stream, *more: int) -> int:
    """A 32-bit seed for a library that takes an integer (Faker, a chunk's sampler)."""
    return int(np.random.SeedSequence([seed, _SALT[stream], *more]).generate_state(1)[0])


# A generated text's sampling seed depends on the run's seed, the row's number in the whole
# output and the attempt, so a row gets the same text in whichever chunk it is written.
ROW_SEED_STEP = 1_000_003
ROW_STEP = 7919


def row_seed(seed: int, row: int, attempt: int) -> int:
    """The llama.cpp sampling seed of one row's ``attempt``-th text."""
    return (seed * ROW_SEED_STEP + row * ROW_STEP + attempt) % (2**31 - 1)


def step(seed: int, size: int, attempt: int) -> int:
    """The seed of the ``attempt``-th try of a step that retries with a fresh seed."""
    return seed + size * attempt
