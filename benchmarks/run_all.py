"""Run every benchmark in turn: python benchmarks/run_all.py"""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for name in ("retrieval.py", "ingest.py", "ask.py", "sandbox_overhead.py", "answer_critic.py", "prompt_audit.py", "optimize_prompt.py",
             "experiment_suite.py", "generality_suite.py"):
    print(f"\n=== {name}", flush=True)
    subprocess.run([sys.executable, str(HERE / name)], cwd=HERE, check=False)
