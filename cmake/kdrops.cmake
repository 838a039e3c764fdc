# SPDX-License-Identifier: BSD-2-Clause
# flowtapd's kernel drop source (--drops): src/bpf/kdrops.bpf.c compiled with
# clang's BPF target against a vmlinux.h that bpftool dumps from the build
# machine's kernel BTF, and its libbpf skeleton, both generated at build
# time; CO-RE relocates the program against the running kernel's BTF.
# Without libbpf, clang, bpftool or BTF flowtapd builds with
# src/sources/kdrops/kdrops_none.c, which refuses --drops with a message.
pkg_check_modules(LIBBPF IMPORTED_TARGET libbpf)
find_program(FT_CLANG clang)
find_program(FT_BPFTOOL bpftool PATHS /usr/sbin /sbin)
set(FT_VMLINUX_BTF /sys/kernel/btf/vmlinux CACHE FILEPATH "kernel BTF that vmlinux.h is made from")
set(kd_src ${CMAKE_SOURCE_DIR}/src/sources/kdrops)
target_include_directories(flowtapd PRIVATE ${kd_src})
if(LIBBPF_FOUND AND FT_CLANG AND FT_BPFTOOL AND EXISTS ${FT_VMLINUX_BTF})
  set(kd_out ${CMAKE_BINARY_DIR}/bpf)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "x86_64|amd64|i.86")
    set(kd_arch x86)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "aarch64|arm64")
    set(kd_arch arm64)
  else()
    set(kd_arch ${CMAKE_SYSTEM_PROCESSOR})
  endif()
  add_custom_command(OUTPUT ${kd_out}/vmlinux.h
    COMMAND ${CMAKE_COMMAND} -E make_directory ${kd_out}
    COMMAND sh -c "\"$0\" btf dump file \"$1\" format c > \"$2\""
            ${FT_BPFTOOL} ${FT_VMLINUX_BTF} ${kd_out}/vmlinux.h.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${kd_out}/vmlinux.h.tmp ${kd_out}/vmlinux.h
    COMMENT "Generating vmlinux.h from ${FT_VMLINUX_BTF}" VERBATIM)
  add_custom_command(OUTPUT ${kd_out}/kdrops.bpf.o
    COMMAND ${FT_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_${kd_arch} -I${kd_out} -I${kd_src}
            -Wall -Werror -c ${CMAKE_SOURCE_DIR}/src/bpf/kdrops.bpf.c -o ${kd_out}/kdrops.bpf.o
    DEPENDS ${CMAKE_SOURCE_DIR}/src/bpf/kdrops.bpf.c ${kd_src}/kdrops_event.h ${kd_out}/vmlinux.h
    COMMENT "Compiling the kfree_skb BPF program" VERBATIM)
  add_custom_command(OUTPUT ${kd_out}/kdrops.skel.h
    COMMAND sh -c "\"$0\" gen skeleton \"$1\" name kdrops_bpf > \"$2\""
            ${FT_BPFTOOL} ${kd_out}/kdrops.bpf.o ${kd_out}/kdrops.skel.h.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${kd_out}/kdrops.skel.h.tmp ${kd_out}/kdrops.skel.h
    DEPENDS ${kd_out}/kdrops.bpf.o
    COMMENT "Generating the BPF skeleton kdrops.skel.h" VERBATIM)
  target_sources(flowtapd PRIVATE ${kd_src}/kdrops.c ${kd_src}/kdrops_bpf.c ${kd_src}/ksyms.c
                 ${kd_src}/reasons.c ${kd_src}/scope.c ${kd_out}/kdrops.skel.h)
  target_include_directories(flowtapd PRIVATE ${kd_out})
  target_link_libraries(flowtapd PRIVATE PkgConfig::LIBBPF)
  set(FT_KDROPS ON)
else()
  message(STATUS "flowtapd --drops disabled: needs libbpf-dev, clang, bpftool and ${FT_VMLINUX_BTF}")
  target_sources(flowtapd PRIVATE ${kd_src}/kdrops_none.c)
  set(FT_KDROPS OFF)
endif()
