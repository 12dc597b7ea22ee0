"""Training in separate processes: resume after SIGKILL, two workers on loopback ports, a worker
whose peer never comes up, MirroredStrategy over two logical CPU devices.

Every process is started here, bound to 127.0.0.1, bounded in time and stopped by the test.
"""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from nlpkit.training import local_tf_configs

WORKER = str(Path(__file__).with_name("_worker.py"))
ROOT = str(Path(__file__).resolve().parents[2])


def env(**extra):
    e = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    return {**e, "PYTHONPATH": ROOT, "TF_CPP_MIN_LOG_LEVEL": "2", **extra}


def start(mode, out, **extra):
    return subprocess.Popen(
        [sys.executable, WORKER, mode, str(out)],
        env=env(**extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(procs, timeout):
    outputs = []
    deadline = time.monotonic() + timeout
    try:
        for p in procs:
            out, _ = p.communicate(timeout=max(1.0, deadline - time.monotonic()))
            outputs.append(out)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return outputs


def weights(path):
    with np.load(path) as z:
        return [z[k] for k in sorted(z.files, key=lambda k: int(k.split("_")[1]))]


@pytest.mark.slow  # three TensorFlow processes: about a minute on two shared cores
def test_resume_after_sigkill_gives_the_uninterrupted_weights(tmp_path):
    straight, killed = (
        start("resume", tmp_path / "a"),
        start("resume", tmp_path / "b", NLPKIT_TEST_KILL_AT="5"),
    )
    out_a, out_b = finish([straight, killed], 240)
    assert straight.returncode == 0, out_a[-2000:]
    assert killed.returncode == -signal.SIGKILL, out_b[-2000:]
    assert not (tmp_path / "b" / "classifier.npz").exists()
    # Checkpoints every 3 steps (4 steps an epoch): killed at step 5, resumes at epoch 2 step 1.
    resumed = start("resume", tmp_path / "b")
    (out,) = finish([resumed], 180)
    assert resumed.returncode == 0, out[-2000:]
    for a, b in zip(
        weights(tmp_path / "a" / "classifier.npz"),
        weights(tmp_path / "b" / "classifier.npz"),
        strict=True,
    ):
        np.testing.assert_array_equal(a, b)  # exact on the CPU
    hist_a = json.loads((tmp_path / "a" / "classifier.json").read_text())
    hist_b = json.loads((tmp_path / "b" / "classifier.json").read_text())
    assert hist_b["loss"] == hist_a["loss"] and len(hist_b["loss"]) == 3
    assert hist_b["val_loss"] == hist_a["val_loss"]


def test_two_workers_train_classifier_and_tagger_to_identical_weights(tmp_path):
    configs = local_tf_configs(2)
    procs = [
        start("multi_worker", tmp_path / f"w{i}", TF_CONFIG=cfg, NLPKIT_WORKER_TIMEOUT="90")
        for i, cfg in enumerate(configs)
    ]
    outs = finish(procs, 300)
    for p, out in zip(procs, outs, strict=True):
        assert p.returncode == 0, out[-3000:]
    for name in ("classifier", "tagger"):
        w0, w1 = weights(tmp_path / "w0" / f"{name}.npz"), weights(tmp_path / "w1" / f"{name}.npz")
        assert len(w0) == len(w1) > 0
        for a, b in zip(w0, w1, strict=True):
            np.testing.assert_array_equal(a, b)
        loss = json.loads((tmp_path / "w0" / f"{name}.json").read_text())["loss"]
        assert len(loss) == 4 and loss[-1] < loss[0], (name, loss)


@pytest.mark.slow  # two TensorFlow processes: about a minute on two shared cores
def test_two_workers_stream_files_sharded_by_file_to_identical_weights(tmp_path):
    configs = local_tf_configs(2)
    procs = [
        start("multi_worker_stream", tmp_path / f"w{i}", TF_CONFIG=cfg, NLPKIT_WORKER_TIMEOUT="90")
        for i, cfg in enumerate(configs)
    ]
    outs = finish(procs, 300)
    for p, out in zip(procs, outs, strict=True):
        assert p.returncode == 0, out[-3000:]
    w0, w1 = weights(tmp_path / "w0" / "stream.npz"), weights(tmp_path / "w1" / "stream.npz")
    for a, b in zip(w0, w1, strict=True):
        np.testing.assert_array_equal(a, b)
    loss = json.loads((tmp_path / "w0" / "stream.json").read_text())["loss"]
    assert len(loss) == 4 and loss[-1] < loss[0], loss
    # Uneven shards: both workers still take the same number of (global) steps.
    steps = [json.loads((tmp_path / f"w{i}" / "stream_steps.json").read_text()) for i in (0, 1)]
    assert steps[0] == steps[1] >= 12 // 4, steps


@pytest.mark.slow  # six TensorFlow processes: about two minutes on two shared cores
def test_two_workers_resume_after_sigkill_give_the_uninterrupted_weights(tmp_path):
    """Both workers of a two-worker run are SIGKILLed mid-epoch (the chief kills itself after
    its 7th step; its peer, blocked in the next collective, is killed by the test), then both
    are restarted with the same TF_CONFIG and finish: the weights equal an uninterrupted run's.
    """
    # 16 examples, global batch 4: 4 steps an epoch, 3 epochs. Checkpoints every 3 steps and at
    # each epoch end (steps 3, 4, 6): killed after step 7, the run resumes at epoch 1, step 2.
    straight_cfgs, killed_cfgs = local_tf_configs(2), local_tf_configs(2)

    def workers(name, cfgs, kill_chief_at=0):
        ckpt = tmp_path / name / "ckpt"
        return [
            start(
                "multi_worker_resume",
                tmp_path / name / f"w{i}",
                TF_CONFIG=cfg,
                NLPKIT_WORKER_TIMEOUT="120",
                NLPKIT_TEST_CKPT=str(ckpt),
                NLPKIT_TEST_KILL_AT=str(kill_chief_at if i == 0 else 0),
            )
            for i, cfg in enumerate(cfgs)
        ]

    straight = workers("a", straight_cfgs)
    killed = workers("b", killed_cfgs, kill_chief_at=7)
    try:
        killed[0].wait(timeout=300)
    finally:
        if killed[1].poll() is None:  # its peer is gone: it waits in a collective
            killed[1].send_signal(signal.SIGKILL)
    outs_b = finish(killed, 60)
    outs_a = finish(straight, 300)
    for p, out in zip(straight, outs_a, strict=True):
        assert p.returncode == 0, out[-3000:]
    assert killed[0].returncode == -signal.SIGKILL, outs_b[0][-3000:]
    # Killed by the test, or (if TensorFlow noticed the lost peer first) failed on its own.
    assert killed[1].returncode not in (0, None), outs_b[1][-3000:]
    assert not (tmp_path / "b" / "w0" / "classifier.npz").exists()
    assert not (tmp_path / "b" / "w1" / "classifier.npz").exists()

    resumed = workers("b", killed_cfgs)  # the same TF_CONFIG, as a launcher would restart them
    outs = finish(resumed, 300)
    for p, out in zip(resumed, outs, strict=True):
        assert p.returncode == 0, out[-3000:]
    for i in (0, 1):
        assert json.loads((tmp_path / "b" / f"w{i}" / "resumed_at.json").read_text()) == [1, 2]
        assert json.loads((tmp_path / "a" / f"w{i}" / "resumed_at.json").read_text()) is None
        for a, b in zip(
            weights(tmp_path / "a" / f"w{i}" / "classifier.npz"),
            weights(tmp_path / "b" / f"w{i}" / "classifier.npz"),
            strict=True,
        ):
            np.testing.assert_array_equal(a, b)  # exact on the CPU
        hist_a = json.loads((tmp_path / "a" / f"w{i}" / "classifier.json").read_text())
        hist_b = json.loads((tmp_path / "b" / f"w{i}" / "classifier.json").read_text())
        assert hist_b["loss"] == hist_a["loss"] and len(hist_b["loss"]) == 3
        assert hist_b["val_loss"] == hist_a["val_loss"]
    # The non-chief wrote its checkpoints to a temporary folder, removed when it finished.
    assert not list((tmp_path / "b" / "ckpt").glob(".worker-*"))


def test_worker_whose_peer_never_comes_up_fails_clearly(tmp_path):
    (cfg, _) = local_tf_configs(2)
    t0 = time.monotonic()
    proc = start("multi_worker", tmp_path, TF_CONFIG=cfg, NLPKIT_WORKER_TIMEOUT="5")
    (out,) = finish([proc], 90)
    assert proc.returncode not in (0, None)
    assert "could not form the cluster" in out and "127.0.0.1" in out, out[-2000:]
    assert time.monotonic() - t0 < 90


@pytest.mark.slow  # one TensorFlow process training twice: about 40 s on two shared cores
def test_mirrored_two_logical_cpus_gives_the_one_device_loss_curve(tmp_path):
    proc = start("mirrored", tmp_path)
    (out,) = finish([proc], 240)
    assert proc.returncode == 0, out[-3000:]
    two = json.loads((tmp_path / "two.json").read_text())["loss"]
    one = json.loads((tmp_path / "one.json").read_text())["loss"]
    assert len(two) == len(one) == 4 and two[-1] < two[0]
    # Same global batches; the two replicas' gradients are summed over halves of each batch,
    # which changes only the floating-point summation order.
    np.testing.assert_allclose(two, one, rtol=1e-4)
    # The tagger's own loss (CRF) is scaled per replica as Keras's losses are: without that, two
    # replicas reported twice the loss and applied twice the gradient.
    two = json.loads((tmp_path / "tagger_two.json").read_text())["loss"]
    one = json.loads((tmp_path / "tagger_one.json").read_text())["loss"]
    assert len(two) == len(one) == 4 and two[-1] < two[0]
    np.testing.assert_allclose(two, one, rtol=1e-4)
