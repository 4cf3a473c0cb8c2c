#!/usr/bin/env python3
"""Shrinks libonnxruntime_providers_cuda.so for one GPU architecture, so that it travels in a
64 MiB bundle: the CUDA device code for other architectures is zeroed in place (the file keeps
its size and layout; zeros compress to nothing), and with --slim also the device code of kernels
that only LLM / transformer contrib ops use (attention, MoE, quantized GEMMs, beam search...).

The CUDA runtime picks one entry of each fat binary by architecture, and with lazy module
loading (CUDA_MODULE_LOADING=LAZY, the default since CUDA 12.2) loads a module only when one of
its kernels first runs. So zeroed code is never read: other architectures' code is never picked,
and --slim's kernels never run for a model without those ops. UNVERIFIED on a GPU: if a zeroed
kernel does run, CUDA fails with "device kernel image is invalid"; use the file without --slim.

  prune_fatbin.py IN OUT [--arch 90] [--slim] [--report]
Standard library only; needs the `zstd` command to read kernel names (--slim, --report).
"""
import argparse
import collections
import re
import shutil
import struct
import subprocess
import sys

FATBIN_MAGIC = 0xBA55ED50
# Kernels of contrib ops that a CNN never runs (matched against every function symbol of a module).
LLM_KERNELS = re.compile(
    r"cutlass|flash|xqa|fpA_intB|Moe|moe_|llm|Attention|attention|Rotary|GroupQuery|MatMulNBits|"
    r"Dequantize|dequant|BeamSearch|Sampling|lean_|DecoderMasked|masked_multihead|paged|PackedMultiHead|sparse",
    re.I,
)


def sections(data):
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    secs = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    strtab = secs[shstrndx][4]

    def name(s):
        return data[strtab + s[0] : data.index(b"\0", strtab + s[0])].decode()

    return secs, name


def fatbin_entries(data):
    """Yields (arch, flags, payload offset, payload size) for each entry of .nv_fatbin."""
    secs, name = sections(data)
    found = [s for s in secs if name(s) == ".nv_fatbin"]
    if not found:
        sys.exit("no .nv_fatbin section: is this a CUDA library?")
    start, size = found[0][4], found[0][5]
    pos = start
    while pos < start + size:
        magic, _version, header, fat_size = struct.unpack_from("<IHHQ", data, pos)
        if magic != FATBIN_MAGIC:
            pos += 8  # blobs are 8-aligned; padding between them
            continue
        entry, end = pos + header, pos + header + fat_size
        while entry < end:
            _kind, _unknown, entry_header, payload = struct.unpack_from("<HHIQ", data, entry)
            arch = struct.unpack_from("<I", data, entry + 28)[0]
            flags = struct.unpack_from("<Q", data, entry + 40)[0]
            yield arch, flags, entry + entry_header, payload
            entry += entry_header + payload
        pos = end


def kernel_names(payload):
    """Function symbols of one device-code entry (zstd-compressed in CUDA 13 fat binaries)."""
    elf = payload
    if payload[:4] == b"\x28\xb5\x2f\xfd":
        elf = subprocess.run(["zstd", "-dc"], input=payload, capture_output=True, check=False).stdout
    if elf[:4] != b"\x7fELF":
        return None
    secs, _ = sections(elf)
    names = []
    for s in secs:
        if s[1] != 2:  # SHT_SYMTAB
            continue
        strtab = secs[s[6]][4]
        for j in range(s[5] // 24):
            st_name, st_info = struct.unpack_from("<IB", elf, s[4] + j * 24)
            if st_info & 0xF == 2:  # STT_FUNC
                names.append(elf[strtab + st_name : elf.index(b"\0", strtab + st_name)].decode("latin1"))
    return [n for n in names if not n.startswith("$") and "EmptyKernel" not in n]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("input")
    ap.add_argument("output")
    ap.add_argument("--arch", type=int, default=90, help="SM architecture to keep (90: H100 / H200)")
    ap.add_argument("--slim", action="store_true", help="also zero kernels only LLM contrib ops use")
    ap.add_argument("--report", action="store_true", help="print bytes per architecture / kind")
    a = ap.parse_args()
    if shutil.which("zstd") is None and (a.slim or a.report):
        sys.exit("--slim and --report need the zstd command (apt: zstd)")
    data = bytearray(open(a.input, "rb").read())
    kept = collections.Counter()
    zeroed = collections.Counter()
    entries = list(fatbin_entries(bytes(data)))
    if not any(arch == a.arch for arch, *_ in entries):
        sys.exit(f"{a.input} has no device code for sm_{a.arch}: it would not run there")
    for arch, _flags, offset, size in entries:
        kind = f"sm_{arch}"
        drop = arch != a.arch
        if not drop and a.slim:
            names = kernel_names(bytes(data[offset : offset + size]))
            if names and all(LLM_KERNELS.search(n) for n in names):
                drop, kind = True, f"sm_{arch} llm-only"
        if drop:
            data[offset : offset + size] = bytes(size)
            zeroed[kind] += size
        else:
            kept[kind] += size
    open(a.output, "wb").write(data)
    mb = lambda c: ", ".join(f"{k} {v / 1e6:.1f} MB" for k, v in sorted(c.items()))
    print(f"prune_fatbin: kept {mb(kept)}; zeroed {mb(zeroed)}")


if __name__ == "__main__":
    main()
