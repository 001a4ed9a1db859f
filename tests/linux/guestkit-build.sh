#!/bin/sh
# guestkit-build.sh GUESTKIT_DIR CACHE — build the shared guestkit guest (Debian's i386 kernels, busybox, the
# benchmark, the 64 MiB disk, the SYSLINUX boot disk) into CACHE, once: the CTest fixture of the Linux tests.
# guestkit's build.sh needs bash and, as root, installs the host tools it lacks (.ci/deps lists them already).
# Its SYSLINUX step reads a variable ($S) that only its initramfs function sets, so it is given one here.
set -e
gk=$1; cache=$2
[ -f "$cache/out/syslinux-boot.img" ] && [ -f "$cache/out/initrd-pae.gz" ] && exit 0
mkdir -p "$cache/stage/syslinux"
S="$cache/stage/syslinux" bash "$gk/build.sh" "$cache"
