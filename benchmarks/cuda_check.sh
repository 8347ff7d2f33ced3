#!/bin/bash
# The CUDA path, end to end, on a GPU machine (docs/benchmarks.md, "The CUDA path on an H200"): the
# CUDA tests, `train --device cuda --repeat 2` on the sample, the two GNNs on cuda against cpu on the
# same machine, and LightGCN on the 1M-line log. Run from the repository root with OUT set to a
# results folder; wheels in .whl/ (pandas and torch-geometric at this project's pins, for Python 3.12)
# are installed first where the machine's own differ.
set -u
export PYTHONUNBUFFERED=1 GNNREC_INGEST_ENGINE=pandas
if ls .whl/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site
fi
LOG=$OUT/log.txt
S=sample_data/online_retail_dec2010.csv.gz
{
echo "== env"; nvidia-smi -L; nproc
python3 -c "import torch, pandas, numpy, torch_geometric, scipy, sklearn; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), 'pandas', pandas.__version__, 'numpy', numpy.__version__, 'pyg', torch_geometric.__version__, 'scipy', scipy.__version__, 'sklearn', sklearn.__version__)"
echo "== cuda tests"; timeout 150 python3 -m pytest -q -n 0 -p no:cacheprovider tests/test_models.py -k cuda 2>&1 | tail -8
echo "== train --device cuda --repeat 2 (sample)"; time timeout 240 python3 -m gnnrec_core train $S --device cuda --repeat 2 --workspace /tmp/w --quiet --json $OUT/train_cuda.json 2>&1 | tail -6
echo "== benchmark lightgcn,gcn cuda (sample)"; time timeout 200 python3 -m gnnrec_core benchmark $S --models lightgcn,gcn --device cuda --quiet --json $OUT/bench_cuda.json 2>&1 | head -8
echo "== benchmark lightgcn,gcn cpu (sample, 16 cores)"; time timeout 200 python3 -m gnnrec_core benchmark $S --models lightgcn,gcn --device cpu --quiet --json $OUT/bench_cpu.json 2>&1 | head -8
echo "== 1M log"; time python3 -m gnnrec_core.data.synthetic --interactions 1000000 --items 50000 --seed 0 --out /tmp/o1m.csv.gz
echo "== benchmark pop,lightgcn cuda (1M)"; time timeout 300 python3 -m gnnrec_core benchmark /tmp/o1m.csv.gz --models pop,lightgcn --device cuda --quiet --json $OUT/b1m_cuda.json 2>&1 | head -12
} > $LOG 2>&1
