{
  "targets": [
    {
      "target_name": "squid_native",
      "sources": [
        "src/addon.cc",
        "src/common.cc",
        "src/conv/geometry.cc",
        "src/conv/choice.cc",
        "src/conv/memory.cc",
        "src/conv/primitives.cc",
        "src/conv/block.cc",
        "src/conv/entry.cc",
        "src/elementwise.cc",
        "src/reduce.cc",
        "src/matmul.cc",
        "src/layout.cc",
        "src/resize.cc",
        "src/batchnorm.cc",
        "src/optim.cc",
        "src/storage.cc"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti"],
      "cflags_cc": [
        "-std=c++17", "-O3", "-fopenmp", "-fexceptions",
        "<!@(sh -c \"grep -q ' avx2' /proc/cpuinfo 2>/dev/null && echo -mavx2 -mfma || grep -q ' sse4_2' /proc/cpuinfo 2>/dev/null && echo -msse4.2 || true\")"
      ],
      "ldflags": ["-fopenmp"],
      "libraries": ["-ldnnl", "-lgomp"]
    }
  ]
}
