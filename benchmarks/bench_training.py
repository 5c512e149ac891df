"""Training speed and accuracy of the Table 1 CNN: hw1's tensor-resident loop vs a pytorch/examples-style baseline.

Prints, for this machine and in one run:
  * time to 99% test accuracy and images/second of hw1's loop (1 epoch of one-cycle, test set checked
    8 times per epoch; evaluation time excluded from the training time), on CPU with and without the
    channels_last memory layout (the product uses whichever this prints as faster: channels_last);
  * the same for a baseline written the way pytorch/examples/mnist/main.py trains (DataLoader over
    torchvision's MNIST with ToTensor+Normalize transforms, per-batch device copies, batch 64,
    Adadelta lr=1.0 with StepLR(gamma=0.7)), on the same network, for one epoch;
  * the final test accuracy of the report's recipe (hw1.parts.part3_cnn.config.Part3Config) over several seeds;
  * with --precision: float32 against bfloat16 autocast on the same machine, alternating, --repeats runs each
    of the Part 3 recipe: training images/s and the training seconds until its first test evaluation at >= 99%
    (median of the runs), and every run's final accuracy. bfloat16 is used only where `native_bfloat16` says
    the hardware multiplies it natively (this prints which unit).

Usage: python benchmarks/bench_training.py [--seeds 3] [--device cpu] [--data-dir data]
       python benchmarks/bench_training.py --precision [--repeats 3] [--device cpu] [--data-dir data]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F

from hw1.toolkit.data import load_mnist
from hw1.toolkit.models import Table1CNN
from hw1.parts.part3_cnn.config import Part3Config
from hw1.toolkit.training import TrainConfig, evaluate, train_cnn

CHECKS_PER_EPOCH = 8


def fast_time_to_99(data, device, seed: int, channels_last: bool = True) -> dict:
    config = TrainConfig(epochs=1, evals_per_epoch=CHECKS_PER_EPOCH, channels_last=channels_last)
    _, history = train_cnn(config, data, device, seed)
    return {"seconds_to_99": history.seconds_to_99, "epochs_to_99": history.epochs_to_99,
            "images_per_second": len(data.train_images) / history.train_seconds,
            "final_accuracy": history.test_accuracy[-1], "train_seconds": history.train_seconds}


def precision_comparison(data, device, repeats: int) -> None:
    """Part 3's recipe in float32 and under bfloat16 autocast, alternating (load drifts alike for both)."""
    import dataclasses

    from hw1.toolkit.training import bfloat16_unit, native_bfloat16

    unit = "CUDA" if device.type == "cuda" else bfloat16_unit()
    print(f"native bfloat16 here: {native_bfloat16(device)} ({unit or 'none'})")
    if not native_bfloat16(device):
        return
    recipe = Part3Config()
    runs: dict[str, list] = {"float32": [], "bfloat16": []}
    for repeat in range(repeats):
        for name, bf16 in (("float32", False), ("bfloat16", True)):
            _, history = train_cnn(dataclasses.replace(recipe, bf16_where_native=bf16), data, device, seed=0)
            images = len(data.train_images) * recipe.epochs / history.train_seconds
            runs[name].append((history.seconds_to_99, images, history.test_accuracy[-1], history.epochs_to_99))
            print(f"  run {repeat + 1} {name:8s}: 99% after {fmt(history.seconds_to_99)} "
                  f"({history.epochs_to_99} epochs), {images:,.0f} images/s, final {history.test_accuracy[-1]:.2%}",
                  flush=True)
    for name, rows in runs.items():
        to_99 = [r[0] for r in rows if r[0] is not None]
        print(f"{name:8s}: median 99% after {statistics.median(to_99) if to_99 else float('nan'):.1f} s "
              f"({len(to_99)}/{len(rows)} runs reached 99%), median {statistics.median(r[1] for r in rows):,.0f} "
              f"images/s, final accuracies {', '.join(f'{r[2]:.2%}' for r in rows)}")


def baseline_time_to_99(data_dir, data, device, seed: int) -> dict:
    """One epoch the pytorch/examples way; the test set is checked CHECKS_PER_EPOCH times (untimed)."""
    from torchvision import datasets, transforms

    torch.manual_seed(seed)
    transform = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    train_set = datasets.MNIST(str(data_dir), train=True, download=False, transform=transform)
    loader = torch.utils.data.DataLoader(train_set, batch_size=64, shuffle=True)
    test_x = ((data.test_images.float() / 255 - 0.1307) / 0.3081).unsqueeze(1).to(device)
    test_y = data.test_labels.to(device)
    model = Table1CNN().to(device)
    optimizer = torch.optim.Adadelta(model.parameters(), lr=1.0)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.7)
    checks = {round(len(loader) * k / CHECKS_PER_EPOCH) for k in range(1, CHECKS_PER_EPOCH + 1)}
    elapsed, seconds_to_99, accuracy = 0.0, None, 0.0
    model.train()
    started = time.perf_counter()
    for step, (x, y) in enumerate(loader, start=1):
        x, y = x.to(device), y.to(device)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        if step in checks:
            elapsed += time.perf_counter() - started
            _, accuracy, _, _ = evaluate(model, test_x, test_y)
            if seconds_to_99 is None and accuracy >= 0.99:
                seconds_to_99 = elapsed
            started = time.perf_counter()
    elapsed += time.perf_counter() - started
    scheduler.step()
    return {"seconds_to_99": seconds_to_99, "images_per_second": len(train_set) / elapsed,
            "final_accuracy": accuracy, "train_seconds": elapsed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3, help="seeds for the report recipe's final accuracy")
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--data-dir", default="data")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--precision", action="store_true", help="only compare float32 and bfloat16 training")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each precision with --precision")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's)")
    parser.add_argument("--cpu-clock", action="store_true",
                        help="time training in CPU seconds of this process, not wall seconds: a measure of work that "
                             "other jobs sharing the CPU disturb far less (use with --threads 1; CPU only)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    if args.cpu_clock:
        import hw1.toolkit.training as training

        training._clock = lambda device: time.process_time()
        print("clock: CPU seconds of this process (time.process_time), not wall seconds")
    device = torch.device(args.device)
    data = load_mnist(args.data_dir)
    print(f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads")
    if args.precision:
        precision_comparison(data, device, args.repeats)
        return

    fast = fast_time_to_99(data, device, seed=0)
    print(f"hw1 loop      : 99% after {fmt(fast['seconds_to_99'])} of training "
          f"({fast['epochs_to_99'] or float('nan'):.2f} epochs), {fast['images_per_second']:,.0f} images/s, "
          f"1-epoch accuracy {fast['final_accuracy']:.2%}")
    if device.type == "cpu":
        plain = fast_time_to_99(data, device, seed=0, channels_last=False)
        print(f"  same, default (NCHW) layout: 99% after {fmt(plain['seconds_to_99'])}, "
              f"{plain['images_per_second']:,.0f} images/s")
    if not args.skip_baseline:
        base = baseline_time_to_99(args.data_dir, data, device, seed=0)
        print(f"baseline loop : 99% after {fmt(base['seconds_to_99'])} of training, "
              f"{base['images_per_second']:,.0f} images/s, 1-epoch accuracy {base['final_accuracy']:.2%}")
        print(f"speed-up      : {fast['images_per_second'] / base['images_per_second']:.1f}x images/s")

    recipe = Part3Config()
    accuracies, seconds = [], []
    for seed in range(args.seeds):
        _, history = train_cnn(recipe, data, device, seed)
        model_accuracy = history.test_accuracy[-1]
        accuracies.append(model_accuracy)
        seconds.append(history.train_seconds)
        print(f"report recipe ({recipe.epochs} epochs) seed {seed}: test accuracy {model_accuracy:.2%}, "
              f"{history.train_seconds:.1f} s of training")
    print(f"report recipe over {args.seeds} seeds: mean {statistics.mean(accuracies):.2%}, "
          f"min {min(accuracies):.2%}, max {max(accuracies):.2%}")


def fmt(seconds: float | None) -> str:
    return "never (within 1 epoch)" if seconds is None else f"{seconds:.1f} s"


if __name__ == "__main__":
    main()
