"""A deterministic demo organisation: a district-heating utility with planted truths.

Everything here is pure (numpy / pandas, no database): :func:`generate` returns frames
that :mod:`cxgap.services.demo` stores. The same seed and anchor date always give the
same data. The data lies in the two years before the anchor date (by default the day the
demo is loaded): eight quarterly survey waves, the last the last whole quarter before the
anchor, and the encounters and feedback of the same span; nothing is dated on or after it.

Planted truths (returned by :func:`planted_truths`, written next to the database):

- **segment differences**: customers aged 55+ expect more *empathy* (adequate and desired
  about one scale point higher); customers who use the app expect more *responsiveness*;
- **below adequate**: item ``rel2`` is delivered below the adequate level in every wave;
- **worsening dimension**: perceived *responsiveness* falls over the last three waves;
- **key driver**: perceived *reliability* drives overall satisfaction, CSAT and NPS;
- **attractive feature**: the Kano feature ``app_meter`` is attractive;
- **satisfaction index**: the ``csi_*`` items follow a latent ECSI/ACSI path model
  (:data:`CSI_PATHS`) in which perceived quality drives satisfaction most and itself
  follows the respondent's perceived reliability;
- **action plans**: from the third-last wave, region ``south``'s perceived
  *responsiveness* is about 0.6 points higher (:mod:`cxgap.demo.action_plans`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from cxgap.demo.action_plans import action_plan_truths, plant_action_effects
from cxgap.instruments.model import Instrument
from cxgap.stats.pls.models import ACSI, ECSI, parse_index_role

WAVE_COUNT = 8
"""Quarterly survey waves in the demo (two years)."""


def waves_before(anchor: dt.date) -> tuple[str, ...]:
    """The demo's wave labels (``2026Q3``...): the :data:`WAVE_COUNT` whole quarters that
    end before ``anchor``, oldest first.

    >>> waves_before(dt.date(2027, 1, 1))[-1], waves_before(dt.date(2026, 12, 31))[-1]
    ('2026Q4', '2026Q3')
    """
    current = pd.Period(anchor, freq="Q")
    return tuple(str(current - k) for k in range(WAVE_COUNT, 0, -1))


def _today() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def wave_start(wave: str) -> pd.Timestamp:
    """The first day of a quarterly wave ``YYYYQn``."""
    return pd.Period(wave, freq="Q").start_time


def wave_end(wave: str) -> pd.Timestamp:
    """The day after the last day of a quarterly wave (the end of its last day)."""
    return pd.Period(wave, freq="Q").end_time.normalize() + pd.Timedelta(days=1)


GENDERS = (("female", 0.49), ("male", 0.49), ("diverse", 0.02))
AGE_BANDS = (("18-34", 0.28), ("35-54", 0.38), ("55+", 0.34))
INCOME_BANDS = (("low", 0.3), ("middle", 0.45), ("high", 0.25))
REGIONS = (("north", 0.3), ("centre", 0.45), ("south", 0.25))
CHANNELS = (("app", 0.3), ("web", 0.3), ("phone", 0.3), ("office", 0.1))
INTERESTS = ("sustainability", "technology", "home_comfort", "saving_money", "smart_home")
LANGUAGE_SHARES = (("en", 0.6), ("zh", 0.2), ("fa", 0.2))

BELOW_ADEQUATE_ITEM = "rel2"
KNOWLEDGE_GAP_DIMENSION = "responsiveness"
"""Gap 1: the one dimension whose expectations managers underestimate."""
KNOWLEDGE_GAP_SHIFT = {"desired": -0.9, "adequate": -1.1}
WORSENING_DIMENSION = "responsiveness"
KEY_DRIVER = "reliability"
ATTRACTIVE_FEATURE = "app_meter"
KANO_CATEGORY_PROBS: dict[str, dict[str, float]] = {
    "app_meter": {"A": 0.62, "O": 0.12, "M": 0.04, "I": 0.18, "R": 0.02, "Q": 0.02},
    "outage_alert": {"A": 0.10, "O": 0.20, "M": 0.55, "I": 0.12, "R": 0.01, "Q": 0.02},
    "flexible_visit": {"A": 0.18, "O": 0.52, "M": 0.14, "I": 0.14, "R": 0.01, "Q": 0.01},
    "green_tariff": {"A": 0.16, "O": 0.08, "M": 0.04, "I": 0.66, "R": 0.04, "Q": 0.02},
    "bill_explainer": {"A": 0.22, "O": 0.15, "M": 0.13, "I": 0.46, "R": 0.02, "Q": 0.02},
}
# Answer pairs (functional, dysfunctional) that Berger et al.'s table maps to each category
# (1 like, 2 expect, 3 neutral, 4 live with, 5 dislike).
KANO_PAIRS: dict[str, tuple[tuple[int, int], ...]] = {
    "A": ((1, 3), (1, 4)),
    "O": ((1, 5),),
    "M": ((2, 5), (3, 5), (4, 5)),
    "I": ((3, 3), (2, 3), (3, 4), (4, 4), (2, 4)),
    "R": ((5, 1), (3, 1), (5, 3)),
    "Q": ((1, 1), (5, 5)),
}
# Satisfaction-index latent model: standardised constructs, each a linear function of its
# predictors plus noise scaled so its variance is 1 (so the paths are standardised
# coefficients). The union of the ECSI structure and the ACSI complaints construct.
CSI_PATHS: dict[str, dict[str, float]] = {
    "EXPE": {"IMAG": 0.5},
    "QUAL": {"EXPE": 0.35},
    "VAL": {"EXPE": 0.1, "QUAL": 0.55},
    "SAT": {"IMAG": 0.15, "EXPE": 0.05, "QUAL": 0.5, "VAL": 0.25},
    "COMP": {"SAT": 0.55},
    "LOY": {"IMAG": 0.1, "SAT": 0.6, "COMP": 0.1},
}
CSI_RELIABILITY_TO_QUAL = 0.6
"""Weight of the respondent's (standardised) perceived SERVQUAL reliability in QUAL."""
CSI_STRONGEST_DRIVER = "QUAL"
CSI_LOADINGS = (0.92, 0.88, 0.85)
"""Standardised loading of the 1st, 2nd and 3rd indicator of a construct."""
CSI_CENTRE = {
    "IMAG": 7.0,
    "EXPE": 7.6,
    "QUAL": 6.9,
    "VAL": 6.0,
    "SAT": 6.8,
    "COMP": 6.2,
    "LOY": 7.0,
}
"""Mean answer of each construct's indicators on a 1..10 scale, before rounding."""
CSI_SPREAD = 1.7
"""Standard deviation of an indicator on a 1..10 scale, before rounding."""
IMPORTANCE_ALPHA = {
    "reliability": 32.0,
    "responsiveness": 22.0,
    "assurance": 18.0,
    "empathy": 16.0,
    "tangibles": 12.0,
}
COMMENTS: dict[str, dict[str, tuple[str, ...]]] = {
    "en": {
        "negative": (
            "The radiators were cold for two days and nobody called back.",
            "Billing is confusing and the hotline takes far too long to answer.",
            "The technician missed the appointment window again.",
        ),
        "positive": (
            "Heating works perfectly and the staff were friendly.",
            "Quick repair after the outage, thank you.",
            "The new app makes it easy to follow my usage.",
        ),
    },
    "zh": {
        "negative": (
            "暖气停了两天，也没有人回电话。",
            "账单看不懂，客服电话总是打不通。",
            "维修人员又没有按约定时间上门。",
        ),
        "positive": (
            "供暖一直很稳定，工作人员态度也很好。",
            "停暖后修得很快，谢谢。",
            "新的应用程序让我很方便地查看用量。",
        ),
    },
    "fa": {
        "negative": (
            "دو روز شوفاژها سرد بود و کسی تماس نگرفت.",
            "صورت‌حساب گیج‌کننده است و پاسخ تلفنی خیلی طول می‌کشد.",
            "تکنسین باز هم سر وقت تعیین‌شده نیامد.",
        ),
        "positive": (
            "گرمایش عالی کار می‌کند و کارکنان مهربان بودند.",
            "بعد از قطعی خیلی سریع تعمیر شد، ممنون.",
            "برنامه جدید پیگیری مصرفم را آسان کرده است.",
        ),
    },
}
FEEDBACK_CHANNELS = ("hotline", "web_message", "social_post", "email")
TOUCHPOINTS = ("billing", "outage", "meter_reading", "installation", "support_call", "move_in")
OUTCOMES = (("resolved", 0.72), ("escalated", 0.16), ("unresolved", 0.12))


@dataclass
class DemoData:
    """Frames of the demo organisation, ready to store."""

    customers: pd.DataFrame
    waves: dict[str, pd.DataFrame]
    """Wave label -> wide responses (respondent_id, customer_id, submitted_at, answers)."""
    anchor: dt.date
    """The date the data was generated relative to: everything lies before it."""
    management: pd.DataFrame
    encounters: pd.DataFrame
    feedback: pd.DataFrame
    truths: dict[str, Any] = field(default_factory=dict)


def _choice(rng: np.random.Generator, options: tuple[tuple[str, float], ...], n: int) -> np.ndarray:
    names = np.array([o[0] for o in options], dtype=object)
    probs = np.array([o[1] for o in options], dtype=float)
    return rng.choice(names, size=n, p=probs / probs.sum())


def _customers(rng: np.random.Generator, n: int) -> pd.DataFrame:
    interests = []
    for _ in range(n):
        k = int(rng.integers(0, 3))
        interests.append("; ".join(sorted(rng.choice(INTERESTS, size=k, replace=False))))
    return pd.DataFrame(
        {
            "customer_id": [f"C{i:05d}" for i in range(1, n + 1)],
            "gender": _choice(rng, GENDERS, n),
            "age_band": _choice(rng, AGE_BANDS, n),
            "income_band": _choice(rng, INCOME_BANDS, n),
            "interests": interests,
            "region": _choice(rng, REGIONS, n),
            "channel": _choice(rng, CHANNELS, n),
        }
    )


def _clip(values: np.ndarray, lo: int, hi: int) -> np.ndarray:
    return np.clip(np.rint(values), lo, hi)


def _zot_block(
    rng: np.random.Generator,
    instrument: Instrument,
    people: pd.DataFrame,
    wave_index: int,
    *,
    managers: bool = False,
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Adequate / desired / perceived columns for the battery; also perceived per dimension."""
    n = len(people)
    columns: dict[str, np.ndarray] = {}
    perceived_by_dim: dict[str, list[np.ndarray]] = {}
    halo = rng.normal(0, 0.6, n)
    older = (people["age_band"] == "55+").to_numpy() if "age_band" in people else np.zeros(n, bool)
    app = (people["channel"] == "app").to_numpy() if "channel" in people else np.zeros(n, bool)
    lean = people["leniency"].to_numpy() if "leniency" in people else np.zeros(n)
    zot_items = [i for i in instrument.items if i.format == "tolerance_zone" and i.dimension]
    for item in zot_items:
        dim = item.dimension or ""
        desired = 7.6 + rng.normal(0, 0.7, n)
        if dim == "empathy":
            desired = desired + 1.0 * older - 0.2
        if dim == "responsiveness":
            desired = desired + 0.9 * app - 0.2
        width = np.abs(2.2 + rng.normal(0, 0.6, n))
        adequate = desired - width
        desired, adequate = desired + lean, adequate + lean
        if managers and dim == KNOWLEDGE_GAP_DIMENSION:  # Gap 1: misread on one dimension
            desired = desired + KNOWLEDGE_GAP_SHIFT["desired"]
            adequate = adequate + KNOWLEDGE_GAP_SHIFT["adequate"]
        performance = 6.7
        if item.id == BELOW_ADEQUATE_ITEM:
            performance = 4.3
        if dim == WORSENING_DIMENSION:
            performance -= 0.55 * max(0, wave_index - 4)
        perceived = performance + halo + rng.normal(0, 0.9, n)
        d, a, p = _clip(desired, 1, 9), _clip(adequate, 1, 9), _clip(perceived, 1, 9)
        swap = rng.random(n) < 0.01  # a few careless respondents invert the zone
        a[swap], d[swap] = d[swap].copy(), a[swap].copy()
        columns[f"{item.id}_adequate"] = a
        columns[f"{item.id}_desired"] = d
        columns[f"{item.id}_perceived"] = p
        perceived_by_dim.setdefault(dim, []).append(perceived)
    means = {dim: np.mean(np.vstack(v), axis=0) for dim, v in perceived_by_dim.items()}
    return columns, means


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std()
    return (x - x.mean()) / sd if sd > 0 else x * 0


def _loyalty_block(
    rng: np.random.Generator, instrument: Instrument, dim_means: dict[str, np.ndarray]
) -> dict[str, np.ndarray]:
    n = len(next(iter(dim_means.values())))
    others = [_standardise(v) for d, v in dim_means.items() if d != KEY_DRIVER]
    driver = _standardise(dim_means[KEY_DRIVER]) if KEY_DRIVER in dim_means else np.zeros(n)
    latent = 0.75 * driver + 0.08 * sum(others, np.zeros(n)) + rng.normal(0, 0.55, n)
    latent = _standardise(latent)
    easy = _standardise(dim_means.get("responsiveness", np.zeros(n))) * 0.7 + rng.normal(0, 0.7, n)
    columns: dict[str, np.ndarray] = {}
    for item in instrument.items:
        if item.format != "rating" or not item.scale:
            continue
        scale = instrument.scale(item.scale)
        span = scale.max - scale.min
        base = {"nps": 0.72, "csat": 0.68, "overall": 0.7, "loyalty": 0.66, "ces": 0.6}
        if item.role not in base:
            continue
        signal = easy if item.role == "ces" else latent
        centre = scale.min + base[item.role] * span
        value = centre + signal * span * 0.2 + rng.normal(0, span * 0.07, n)
        columns[item.id] = _clip(value, scale.min, scale.max)
    return columns


def csi_latent_covariance() -> pd.DataFrame:
    """Covariance (= correlation) of the satisfaction-index constructs implied by
    :data:`CSI_PATHS`, with perceived reliability ``REL`` as an extra exogenous cause."""
    names = ["REL", "IMAG", *CSI_PATHS]
    cov = pd.DataFrame(np.eye(len(names)), index=names, columns=names)
    for k, construct in enumerate(names[2:], start=2):
        b = pd.Series(0.0, index=names[:k])
        for predictor, value in CSI_PATHS[construct].items():
            b[predictor] = value
        if construct == "QUAL":
            b["REL"] = CSI_RELIABILITY_TO_QUAL
        implied = cov.iloc[:k, :k].to_numpy() @ b.to_numpy()
        cov.iloc[k, :k] = cov.iloc[:k, k] = implied
    return cov


def csi_implied_paths(structural: dict[str, list[str]]) -> dict[str, float]:
    """Population regression coefficients of a structural model on the latent constructs.

    What a model with these paths would estimate from error-free construct scores; for a
    model that omits a planted path (ACSI has no IMAG) this differs from :data:`CSI_PATHS`.
    """
    cov = csi_latent_covariance()
    out: dict[str, float] = {}
    for outcome, predictors in structural.items():
        sxx = cov.loc[predictors, predictors].to_numpy()
        beta = np.linalg.solve(sxx, cov.loc[predictors, outcome].to_numpy())
        out.update(
            {f"{p} -> {outcome}": round(float(v), 4) for p, v in zip(predictors, beta, strict=True)}
        )
    return out


def _satisfaction_index_block(
    rng: np.random.Generator, instrument: Instrument, reliability: np.ndarray
) -> dict[str, np.ndarray]:
    """The ``csi_*`` indicators (found by role) from the latent model :data:`CSI_PATHS`.

    ``reliability`` is each respondent's mean perceived SERVQUAL reliability; its
    standardised value feeds perceived quality, so the index agrees with the gap analysis.
    """
    items = [
        (item, found)
        for item in instrument.items_of_format("rating")
        if item.scale and (found := parse_index_role(item.role)) is not None
    ]
    if not items:
        return {}
    n = len(reliability)
    cov = csi_latent_covariance()
    latent: dict[str, np.ndarray] = {
        "REL": _standardise(reliability),
        "IMAG": rng.standard_normal(n),
    }
    for construct, predictors in CSI_PATHS.items():
        weights = dict(predictors)
        if construct == "QUAL":
            weights["REL"] = CSI_RELIABILITY_TO_QUAL
        names = list(weights)
        b = np.array(list(weights.values()))
        explained = float(b @ cov.loc[names, names].to_numpy() @ b)
        noise = rng.standard_normal(n) * np.sqrt(1.0 - explained)
        latent[construct] = sum((w * latent[p] for p, w in weights.items()), noise)
    columns: dict[str, np.ndarray] = {}
    for item, (construct, position) in items:
        scale = instrument.scale(item.scale or "")
        unit = (scale.max - scale.min) / 9.0  # one point of a 1..10 scale
        loading = CSI_LOADINGS[min(position, len(CSI_LOADINGS)) - 1]
        z = loading * latent[construct] + np.sqrt(1 - loading**2) * rng.standard_normal(n)
        value = scale.min + (CSI_CENTRE[construct] - 1 + CSI_SPREAD * z) * unit
        columns[item.id] = _clip(value, scale.min, scale.max)
    return columns


def _kano_block(rng: np.random.Generator, instrument: Instrument, n: int) -> dict[str, np.ndarray]:
    columns: dict[str, np.ndarray] = {}
    for item in instrument.items_of_format("kano"):
        probs = KANO_CATEGORY_PROBS.get(item.feature or "", KANO_CATEGORY_PROBS["bill_explainer"])
        cats = rng.choice(list(probs), size=n, p=np.array(list(probs.values())))
        functional = np.empty(n)
        dysfunctional = np.empty(n)
        for cat, pairs in KANO_PAIRS.items():
            mask = cats == cat
            picks = rng.integers(0, len(pairs), mask.sum())
            functional[mask] = [pairs[k][0] for k in picks]
            dysfunctional[mask] = [pairs[k][1] for k in picks]
        columns[f"{item.id}_functional"] = functional
        columns[f"{item.id}_dysfunctional"] = dysfunctional
    return columns


def _points_block(
    rng: np.random.Generator, instrument: Instrument, n: int
) -> dict[str, np.ndarray]:
    columns: dict[str, np.ndarray] = {}
    for item in instrument.items_of_format("points"):
        alpha = np.array([IMPORTANCE_ALPHA.get(o.id, 15.0) for o in item.options]) / 3
        shares = rng.dirichlet(alpha, size=n)
        total = item.total or 100
        points = np.floor(shares * total)
        points[:, 0] += total - points.sum(axis=1)
        for k, option in enumerate(item.options):
            columns[f"{item.id}_{option.id}"] = points[:, k]
    return columns


def _comments(
    rng: np.random.Generator, instrument: Instrument, satisfied: np.ndarray
) -> dict[str, np.ndarray]:
    columns: dict[str, np.ndarray] = {}
    n = len(satisfied)
    for item in instrument.items_of_format("text"):
        writes = rng.random(n) < 0.15
        langs = _choice(rng, LANGUAGE_SHARES, n)
        texts = np.full(n, None, dtype=object)
        for i in np.flatnonzero(writes):
            pool = COMMENTS[langs[i]]["positive" if satisfied[i] else "negative"]
            texts[i] = pool[int(rng.integers(0, len(pool)))]
        columns[item.id] = texts
    return columns


def _blank_some(rng: np.random.Generator, columns: dict[str, np.ndarray], share: float) -> None:
    for name, values in columns.items():
        if values.dtype.kind == "f":
            values[rng.random(len(values)) < share] = np.nan
            columns[name] = values


def survey_wave(
    rng: np.random.Generator,
    instrument: Instrument,
    customers: pd.DataFrame,
    wave_index: int,
    sample: int,
    *,
    wave: str,
) -> pd.DataFrame:
    """One quarterly wave (``wave``, the ``wave_index``-th) of the customer survey, as a
    wide frame."""
    picked = customers.iloc[np.sort(rng.choice(len(customers), size=sample, replace=False))]
    n = len(picked)
    zot, dim_means = _zot_block(rng, instrument, picked, wave_index)
    loyalty = _loyalty_block(rng, instrument, dim_means)
    satisfied = next(
        (loyalty[i.id] >= 8 for i in instrument.items if i.role == "nps" and i.id in loyalty),
        np.ones(n, dtype=bool),
    )
    numeric = {**zot, **loyalty, **_kano_block(rng, instrument, n)}
    _blank_some(rng, numeric, 0.02)
    # a child generator, so adding the index block leaves every other column unchanged
    csi_rng = rng.spawn(1)[0]
    reliability = dim_means.get(KEY_DRIVER, np.zeros(n))
    csi = _satisfaction_index_block(csi_rng, instrument, reliability)
    _blank_some(csi_rng, csi, 0.02)
    columns = {
        **numeric,
        **csi,
        **_points_block(rng, instrument, n),
        **_comments(rng, instrument, satisfied),
    }
    start = wave_start(wave)
    offsets = rng.integers(0, 89 * 24 * 3600, n)
    frame = pd.DataFrame(
        {
            "respondent_id": [f"{wave}-{c}" for c in picked["customer_id"]],
            "customer_id": picked["customer_id"].to_numpy(),
            "submitted_at": [start + pd.Timedelta(seconds=int(s)) for s in offsets],
            **columns,
        }
    )
    return frame


def management_survey(
    rng: np.random.Generator, instrument: Instrument, managers: int = 40
) -> pd.DataFrame:
    """Managers' estimates of customer expectations (the data for Gap 1).

    Managers answer for a typical customer: each estimate follows a customer drawn from the
    segment mix, shifted by the manager's own general leniency (a person-level level shift,
    mean zero), so the estimates differ from customers' own only where Gap 1 is planted.
    """
    # a child generator, so drawing the mix leaves the rest of the data unchanged
    mix = rng.spawn(1)[0]
    people = pd.DataFrame(
        {
            "age_band": _choice(mix, AGE_BANDS, managers),
            "channel": _choice(mix, CHANNELS, managers),
            "leniency": mix.normal(0, 0.5, managers),
        }
    )
    zot, _ = _zot_block(rng, instrument, people, WAVE_COUNT - 1, managers=True)
    return pd.DataFrame({"respondent_id": [f"M{i:03d}" for i in range(1, managers + 1)], **zot})


def _span(waves: tuple[str, ...]) -> tuple[pd.Timestamp, int]:
    """The start of the first wave and the seconds to the end of the last one."""
    start = wave_start(waves[0])
    return start, int((wave_end(waves[-1]) - start).total_seconds())


def _encounters(
    rng: np.random.Generator,
    customers: pd.DataFrame,
    per_customer: float,
    waves: tuple[str, ...],
) -> pd.DataFrame:
    n = int(len(customers) * per_customer)
    who = rng.integers(0, len(customers), n)
    start, span = _span(waves)
    seconds = rng.integers(0, span, n)
    return pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy()[who],
            "occurred_at": [start + pd.Timedelta(seconds=int(s)) for s in seconds],
            "channel": rng.choice(["phone", "web", "app", "visit", "email"], size=n),
            "touchpoint": rng.choice(TOUCHPOINTS, size=n),
            "outcome": _choice(rng, OUTCOMES, n),
        }
    ).sort_values("occurred_at", kind="stable", ignore_index=True)


def _feedback(
    rng: np.random.Generator, customers: pd.DataFrame, count: int, waves: tuple[str, ...]
) -> pd.DataFrame:
    langs = _choice(rng, LANGUAGE_SHARES, count)
    tone = rng.random(count) < 0.65
    start, span = _span(waves)
    seconds = rng.integers(0, span, count)
    texts = []
    for lang, negative in zip(langs, tone, strict=True):
        pool = COMMENTS[lang]["negative" if negative else "positive"]
        texts.append(pool[int(rng.integers(0, len(pool)))])
    who = rng.integers(0, len(customers), count)
    anonymous = rng.random(count) < 0.2
    return pd.DataFrame(
        {
            "external_id": [f"FB{i:05d}" for i in range(1, count + 1)],
            "customer_id": [
                None if anon else customers["customer_id"].iat[w]
                for w, anon in zip(who, anonymous, strict=True)
            ],
            "channel": rng.choice(FEEDBACK_CHANNELS, size=count),
            "language": langs,
            "text": texts,
            "received_at": [start + pd.Timedelta(seconds=int(s)) for s in seconds],
        }
    ).sort_values("received_at", kind="stable", ignore_index=True)


def planted_truths(seed: int, waves: tuple[str, ...] | None = None) -> dict[str, Any]:
    """What the demo data was built to show, for analyses (and their tests) to recover
    (``waves``: the demo's wave labels; by default those before today)."""
    if waves is None:
        waves = waves_before(_today())
    return {
        "seed": seed,
        "organisation": "Riverside Heat, a district-heating utility",
        "waves": list(waves),
        "segment_differences": [
            {
                "attribute": "age_band",
                "level": "55+",
                "dimension": "empathy",
                "fields": ["adequate", "desired"],
                "direction": "higher",
                "size": 1.0,
            },
            {
                "attribute": "channel",
                "level": "app",
                "dimension": "responsiveness",
                "fields": ["adequate", "desired"],
                "direction": "higher",
                "size": 0.9,
            },
        ],
        "below_adequate_item": BELOW_ADEQUATE_ITEM,
        "worsening_dimension": {
            "dimension": WORSENING_DIMENSION,
            "field": "perceived",
            "waves": list(waves[-3:]),
        },
        "key_driver": {"dimension": KEY_DRIVER, "outcomes": ["nps", "csat", "overall"]},
        "attractive_feature": ATTRACTIVE_FEATURE,
        "kano_categories": {f: max(p, key=lambda k: p[k]) for f, p in KANO_CATEGORY_PROBS.items()},
        "gap1": {
            "dimension": KNOWLEDGE_GAP_DIMENSION,
            "finding": "underestimated",
            "fields": sorted(KNOWLEDGE_GAP_SHIFT),
            "other_dimensions": "none",
        },
        "satisfaction_index": {
            "items": "csi_* items, roles csi_<construct>_<position>, 1..10 agreement",
            "paths": {f"{p} -> {c}": v for c, preds in CSI_PATHS.items() for p, v in preds.items()},
            "reliability_to_quality": CSI_RELIABILITY_TO_QUAL,
            "strongest_driver_of_satisfaction": CSI_STRONGEST_DRIVER,
            "implied_paths": {
                "ecsi": csi_implied_paths({k: list(v) for k, v in ECSI.structural.items()}),
                "acsi": csi_implied_paths({k: list(v) for k, v in ACSI.structural.items()}),
            },
            "loadings": list(CSI_LOADINGS),
            "indicator_means": dict(CSI_CENTRE),
        },
    }


def generate(
    instrument: Instrument,
    management_instrument: Instrument,
    *,
    seed: int = 7,
    customers: int = 5000,
    sample_share: float = 0.24,
    anchor: dt.date | None = None,
) -> DemoData:
    """Build the whole demo organisation from one seed, dated before ``anchor`` (by
    default today, UTC)."""
    anchor = anchor or _today()
    rng = np.random.default_rng(seed)
    people = _customers(rng, customers)
    sample = max(30, int(customers * sample_share))
    labels = waves_before(anchor)
    waves = {
        wave: survey_wave(rng, instrument, people, k, sample, wave=wave)
        for k, wave in enumerate(labels)
    }
    plant_action_effects(instrument, people, waves, seed=seed)
    return DemoData(
        customers=people,
        waves=waves,
        anchor=anchor,
        management=management_survey(rng, management_instrument),
        encounters=_encounters(rng, people, per_customer=4.0, waves=labels),
        feedback=_feedback(rng, people, count=max(60, customers // 8), waves=labels),
        truths={**planted_truths(seed, labels), **action_plan_truths(labels)},
    )
