"""What pyarrow / numpy make of each file (the fuzz suite's oracle): prints one JSON object,
file → "ok" or the reason it is refused. Arrow: read the whole table and validate(full=True);
npz: the zip's CRC-32s, then every array loaded (no pickles). Usage: python3 oracle.py FILE..."""
import json
import sys
import zipfile

import numpy as np
import pyarrow as pa
import pyarrow.ipc as ipc

out = {}
for f in sys.argv[1:]:
    try:
        if f.endswith(".npz"):
            with zipfile.ZipFile(f) as z:
                bad = z.testzip()
                if bad:
                    raise ValueError(f"testzip: entry {bad} is damaged (CRC-32, or its local header disagrees)")
            with np.load(f, allow_pickle=False) as d:
                for k in d.files:
                    d[k]
        else:
            try:
                t = ipc.open_file(f).read_all()
            except pa.ArrowInvalid as e:
                if "Not an Arrow file" not in str(e):
                    raise
                t = ipc.open_stream(f).read_all()
            t.validate(full=True)
        out[f] = "ok"
    except Exception as e:  # noqa: BLE001 - every refusal is an answer
        out[f] = f"{type(e).__name__}: {str(e)[:200]}"
print(json.dumps(out))
