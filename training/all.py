"""Every stage in order: python -m training.all [--vq-minutes 32] [--target-minutes 80]"""
import argparse
import subprocess
import sys


def run(*args):
    print("+", " ".join(args), flush=True)
    subprocess.run([sys.executable, "-m", *args], check=True)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--vq-minutes", default="32")
    ap.add_argument("--target-minutes", default="80")
    a = ap.parse_args()
    run("training.data")
    run("training.train_vq", "--minutes", a.vq_minutes)
    run("training.tokenize")
    run("training.train_target", "--minutes", a.target_minutes)
    run("training.export")
    run("training.sample", "grinning face, twemoji", "red apple, fluent", "cat face, noto", "rocket, twemoji")
