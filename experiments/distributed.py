"""The training pipeline on a Dask cluster: `patronage train --dask ADDRESS` and friends.

What runs where:

- **features and labels** are built on the workers, one task per partition of whole districts
  (`features.pipeline.partition`); every family's rows read its own records only, so the
  concatenated partitions equal the single-machine grid exactly (tested).
- **the booster** is LightGBM's own Dask estimator (`lightgbm.DaskLGBMClassifier`,
  data-parallel: every worker holds some rows, histograms are summed over the network).
- everything else (calibration, baselines, metrics, fairness audit, MLflow run and registry)
  runs on the client by the same code as a single-machine run (`experiments.training.train`).

Early stopping: LightGBM 4.7's Dask estimator does not support it (each worker would only see
its own part of the held-out rows and could stop at a different round). The booster is
therefore trained for `BoosterParams.num_boost_round` rounds (capped by `max_rounds`) and cut
afterwards by the single-machine rule, evaluated on the client on the whole held-out period:
the round of the best held-out AUC, searching until `early_stopping_rounds` rounds bring no
improvement. The cost is the rounds trained past that point.

Distributed training is not bit-identical to one machine: each worker bins its own rows (the
histogram bin boundaries differ slightly), the bagging draws are per worker, and floating-point
sums of histograms are added in another order. The partitions and their placement on the
workers are deterministic (sorted districts, sorted worker addresses), so the same cluster
size gives the same result when a run is started again.

Dask is imported only here and only when a cluster is asked for: the single-machine default
never imports it.
"""

from __future__ import annotations

import datetime as dt
import importlib
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import lightgbm as lgb
import numpy as np
import polars as pl

from features.contracts import Events
from features.pipeline.build import build_features
from features.pipeline.grid import build_grid
from features.pipeline.partition import district_partitions
from model.learners import BoosterLearner
from model.risk_model import RiskModel, check_matrices

#: Modules every worker must import to build features and train (checked up front).
REQUIRED_MODULES = ("features", "model", "experiments", "lightgbm", "polars")
#: Seconds to wait for a scheduler before giving up.
CONNECT_TIMEOUT_S = 5.0


class ClusterError(Exception):
    """The cluster cannot run the pipeline: unreachable, missing packages, a lost worker."""


@dataclass(frozen=True)
class DaskSpec:
    """What `--dask` asked for: a local cluster of `workers` processes or a scheduler address."""

    address: str | None
    workers: int = 2

    @property
    def label(self) -> str:
        return self.address or f"local:{self.workers}"


def parse_spec(text: str) -> DaskSpec:
    """`local`, `local:N` or a scheduler address (`tcp://host:port`, `host:port`)."""
    value = text.strip()
    if value == "local":
        return DaskSpec(address=None)
    if value.startswith("local:"):
        count = value.removeprefix("local:")
        if not count.isdigit() or int(count) < 1:
            raise ClusterError(
                f"--dask: expected local, local:N with N >= 1 or a scheduler address "
                f"tcp://host:port, got {text!r}"
            )
        return DaskSpec(address=None, workers=int(count))
    if not value or " " in value:
        raise ClusterError(
            f"--dask: expected local, local:N or a scheduler address tcp://host:port, got {text!r}"
        )
    return DaskSpec(address=value if "://" in value else f"tcp://{value}")


def _portable_check() -> Callable[[list[str]], list[str]]:
    """The import check as a closure: pickled by value, so a worker without this project's
    packages can still run it (a module-level function is pickled by reference)."""

    def check(modules: list[str]) -> list[str]:
        missing = []
        for name in modules:
            try:
                importlib.import_module(name)
            except ImportError:
                missing.append(name)
        return missing

    return check


#: The modules of a list this Python cannot import (what every worker runs, up front).
import_check = _portable_check()


@dataclass
class Cluster:
    """A connected Dask client plus the pipeline steps that run on its workers."""

    client: Any
    spec: DaskSpec
    #: Rounds the Dask booster trains at most (see the module docstring on early stopping).
    max_rounds: int | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def workers(self) -> list[str]:
        """The worker addresses, sorted (the deterministic placement order)."""
        with self._guard("listing the workers"):
            found = sorted(self.client.scheduler_info()["workers"])
        if not found:
            raise ClusterError(f"--dask {self.spec.label}: the cluster has no workers")
        return found

    def check_packages(self, modules: Sequence[str] = REQUIRED_MODULES) -> None:
        """Fail with a clear error when a worker cannot import the project's packages."""
        with self._guard("checking the workers' packages"):
            try:
                answers: dict[str, list[str]] = self.client.run(_portable_check(), list(modules))
            except ImportError as exc:  # a worker could not even unpickle the check
                raise ClusterError(
                    f"--dask {self.spec.label}: a worker cannot import {exc.name or exc}; install "
                    f"this project (pip install patronage) in the workers' Python environment"
                ) from None
        bad = {worker: missing for worker, missing in answers.items() if missing}
        if not answers:
            raise ClusterError(f"--dask {self.spec.label}: the cluster has no workers")
        if bad:
            worker, missing = sorted(bad.items())[0]
            raise ClusterError(
                f"--dask {self.spec.label}: {len(bad)} of {len(answers)} workers cannot import "
                f"{', '.join(missing)} (first: {worker}); install this project (pip install "
                f"patronage) in the workers' Python environment"
            )

    # ---- features ------------------------------------------------------------------------

    def _map_partitions(self, events: Events, step: str, fn: Callable[..., Any], **kw: Any) -> Any:
        workers = self.workers
        parts = district_partitions(events, parts=len(workers))
        with self._guard(step):
            futures = [
                self.client.submit(
                    fn, part, **kw, workers=[workers[i % len(workers)]], allow_other_workers=False
                )
                for i, part in enumerate(parts)
            ]
            return self.client.gather(futures)

    def grid(
        self,
        events: Events,
        *,
        as_of_dates: Sequence[dt.date],
        horizon_months: int,
        known_before: dt.date | None,
        float32: bool = False,
    ) -> pl.DataFrame:
        """`features.pipeline.grid.build_grid` with one task per partition of districts."""
        t0 = time.perf_counter()
        pieces: list[pl.DataFrame] = self._map_partitions(
            events,
            "building the features on the workers",
            build_grid,
            as_of_dates=list(as_of_dates),
            horizon_months=horizon_months,
            known_before=known_before,
            float32=float32,
        )
        grid = pl.concat(pieces).sort("as_of", "family_id", maintain_order=True)
        self.timings["grid_s"] = time.perf_counter() - t0
        return grid

    def features(self, events: Events, *, as_of: dt.date) -> pl.DataFrame:
        """`features.pipeline.build_features` with one task per partition of districts."""
        pieces: list[pl.DataFrame] = self._map_partitions(
            events, "building the features on the workers", build_features, as_of=as_of
        )
        return pl.concat(pieces).sort("family_id")

    # ---- booster -------------------------------------------------------------------------

    def fit_matrix(
        self,
        model: RiskModel,
        x: np.ndarray,
        y: np.ndarray,
        *,
        x_valid: np.ndarray,
        y_valid: np.ndarray,
        feature_names: list[str],
        trained_until: dt.date,
        horizon_months: int,
        metadata: dict[str, Any],
    ) -> RiskModel:
        """`RiskModel.fit_matrix` with the booster trained by `lightgbm.DaskLGBMClassifier`.

        Takes the same float32 matrices as the single machine (no copy of them is kept: each
        worker's rows are copied out one chunk at a time as they are sent). The returned model
        is an ordinary `RiskModel` (a local `lgb.Booster`, the same calibration on the
        held-out period), so explanations, saving and the registry work unchanged.
        """
        from model.training import BoosterParams

        names = check_matrices(feature_names, x, x_valid)
        params = model.params or BoosterParams()
        t0 = time.perf_counter()
        booster, trained, best = self._dask_booster(
            x,
            np.asarray(y, dtype=float),
            x_valid,
            np.asarray(y_valid),
            names,
            params,
        )
        model.adopt(
            BoosterLearner(lgb.Booster(model_str=booster.model_to_string(num_iteration=best))),
            x_valid=x_valid,
            y_valid=y_valid,
            feature_names=names,
            trained_until=trained_until,
            horizon_months=horizon_months,
            metadata={
                **metadata,
                "dask": {
                    "workers": len(self.workers),
                    "rounds_trained": trained,
                    "best_round": best,
                },
            },
        )
        self.timings["fit_s"] = time.perf_counter() - t0
        return model

    def _dask_booster(
        self,
        x: np.ndarray,
        y: np.ndarray,
        x_valid: np.ndarray,
        y_valid: np.ndarray,
        names: list[str],
        params: Any,
    ) -> tuple[Any, int, int]:
        """The Dask booster, its rounds trained and the early-stopping round.

        Rounds double from `4 * early_stopping_rounds` until the stopping rule fires inside the
        trained rounds (or the cap is reached): boosting is sequential and deterministic, so
        the first trees of a longer run are the trees of the shorter one and the kept round
        equals that of one run of the full length, at under twice the rounds it needs.
        """
        from lightgbm import DaskLGBMClassifier

        da: Any = importlib.import_module("dask.array")  # untyped

        workers = self.workers
        cap = min(params.num_boost_round, self.max_rounds or params.num_boost_round)
        patience = params.early_stopping_rounds
        lgb_params = {**params.lightgbm_params(), **params.monotone_params(names)}
        for key in ("metric", "first_metric_only", "num_threads"):
            lgb_params.pop(key, None)  # the Dask estimator uses each worker's threads
        with self._guard("sending the training rows to the workers"):
            x_parts, y_parts = [], []
            # Rows dealt round-robin: every worker holds every month and district, so the
            # bin boundaries each worker computes from its rows describe all of them.
            for i, where in enumerate(workers):
                xi, yi = np.ascontiguousarray(x[i :: len(workers)]), y[i :: len(workers)]
                fx = self.client.scatter(xi, workers=[where], direct=True, hash=False)
                fy = self.client.scatter(yi, workers=[where], direct=True, hash=False)
                x_parts.append(da.from_delayed(fx, shape=xi.shape, dtype=xi.dtype))
                y_parts.append(da.from_delayed(fy, shape=yi.shape, dtype=yi.dtype))
            x_all, y_all = da.concatenate(x_parts), da.concatenate(y_parts)
        rounds = min(cap, 4 * patience)
        while True:
            with self._guard("training the booster on the workers"):
                estimator = DaskLGBMClassifier(
                    client=cast(Any, _RankedClient(self.client)), n_estimators=rounds, **lgb_params
                )
                estimator.fit(x_all, y_all, feature_name=names)
                booster = estimator.to_local().booster_
            best = best_round(booster, x_valid, y_valid, patience=patience)
            if best + patience <= rounds or rounds >= cap:
                return booster, rounds, best
            rounds = min(cap, 2 * rounds)

    @contextmanager
    def _guard(self, step: str) -> Iterator[None]:
        """Map a lost worker or a broken connection to a `ClusterError` naming the step."""
        try:
            yield
        except ClusterError:
            raise
        except Exception as exc:
            if _is_cluster_failure(exc):
                raise ClusterError(
                    f"--dask {self.spec.label}: the cluster failed while {step} "
                    f"({_describe(exc)}); nothing was registered, run again"
                ) from exc
            raise


class _RankedClient:
    """The Dask client as LightGBM sees it, with the data's holders listed in address order.

    LightGBM numbers its machines in the order `who_has` lists the workers, and each machine
    bins some of the features from its own rows: an order that changed between runs would
    change the bins and the trees. Listing the holders sorted gives rank i to the worker that
    holds chunk i (`Cluster._dask_booster`), so a run started again trains the same booster.
    """

    def __init__(self, client: Any) -> None:
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def who_has(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        held = self._client.who_has(*args, **kwargs)
        return dict(sorted(held.items(), key=lambda kv: (sorted(kv[1]), str(kv[0]))))


def _is_cluster_failure(exc: BaseException) -> bool:
    from distributed import KilledWorker
    from distributed.comm.core import CommClosedError

    names = {
        "FutureCancelledError",
        "FuturesCancelledError",
        "CancelledError",
        "KilledWorker",
        "CommClosedError",
    }
    return isinstance(exc, KilledWorker | CommClosedError | OSError | TimeoutError) or (
        type(exc).__name__ in names
    )


def _describe(exc: BaseException) -> str:
    """`Type: message`, safe for exceptions whose `str` fails (a lost worker's, say)."""
    try:
        text = str(exc)
    except Exception:
        text = ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def best_round(booster: Any, x_valid: np.ndarray, y_valid: np.ndarray, *, patience: int) -> int:
    """The round `lightgbm.early_stopping(patience)` would keep, on the whole held-out period.

    The held-out AUC after each round (trees added one at a time); the search stops once
    `patience` rounds bring no strict improvement, as LightGBM's callback does.
    """
    from sklearn.metrics import roc_auc_score

    raw = np.zeros(len(y_valid))
    best, best_auc = 1, -np.inf
    for i in range(booster.current_iteration()):
        raw += booster.predict(x_valid, start_iteration=i, num_iteration=1, raw_score=True)
        auc = float(roc_auc_score(y_valid, raw))
        if auc > best_auc:
            best, best_auc = i + 1, auc
        elif i + 1 - best >= patience:
            break
    return best


@contextmanager
def connect(spec: DaskSpec | str, *, timeout: float = CONNECT_TIMEOUT_S) -> Iterator[Cluster]:
    """A `Cluster` on a new local cluster or a running scheduler; closed on exit.

    An unreachable scheduler fails within `timeout` seconds with a `ClusterError` naming
    `--dask`, the address and what happened; a cluster whose workers cannot import the
    project's packages fails before any work is sent.
    """
    spec = parse_spec(spec) if isinstance(spec, str) else spec
    dist: Any = importlib.import_module("distributed")  # untyped

    local = None
    try:
        if spec.address is None:
            local = dist.LocalCluster(
                n_workers=spec.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = dist.Client(local, timeout=timeout)
        else:
            client = dist.Client(spec.address, timeout=timeout)
    except (OSError, TimeoutError) as exc:
        if local is not None:
            local.close()
        raise ClusterError(
            f"--dask {spec.label}: cannot reach the scheduler within {timeout:.0f} s "
            f"({type(exc).__name__}: {exc})"
        ) from None
    try:
        if local is not None:
            client.wait_for_workers(spec.workers, timeout=60)
        cluster = Cluster(client=client, spec=spec)
        cluster.check_packages()
        yield cluster
    finally:
        client.close()
        if local is not None:
            local.close()
