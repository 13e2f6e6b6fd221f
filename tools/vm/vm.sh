# Sourced by the VM scripts: builds the initramfs and boots the stock
# Debian kernel under qemu (TCG: this machine's KVM is unusable).
top=$(cd "$(dirname "$0")/../.." && pwd)
KVER=${KVER:-$("$top/tools/kernel-version")}
BUILD=${BUILD:-$top/build/vm}
VM_MEM=${VM_MEM:-2048}
mkdir -p "$BUILD"

vm_prepare() {
	KIMAGE=${DEBUG_KERNEL:-/boot/vmlinuz-$KVER}
	[ -e "$KIMAGE" ] || { echo "vm: $KIMAGE missing (make deps)" >&2; return 1; }
	"$top/tools/vm/mkinitramfs.sh" "$KVER" "$BUILD/initramfs.gz"
}

# vm_disks: fresh sparse disks: meta 16M, hot 64M, warm 128M, cold 256M,
# spare 64M, and 160M sliced into a raid6 volume that outlives a reboot.
vm_disks() {
	rm -f "$BUILD"/disk*.img
	truncate -s 16M "$BUILD/disk0.img"
	truncate -s 64M "$BUILD/disk1.img"
	truncate -s 128M "$BUILD/disk2.img"
	truncate -s 256M "$BUILD/disk3.img"
	truncate -s 64M "$BUILD/disk4.img"
	truncate -s 160M "$BUILD/disk5.img"
}

# vm_boot <log> <command line under /selftests> [timeout s]
# The host's / is shared read-only (9p tag hostroot): the module loader
# test builds against the host's headers with the host's compiler, as the
# image does against a node's.
# VM_NIC=user,model=virtio-net-pci gives the guest 10.0.2.15, and the
# host's loopback as 10.0.2.2 (qemu's user networking).
vm_boot() {
	log=$1 run=$2 limit=${3:-2400}
	set -- 
	for i in 0 1 2 3 4 5; do
		set -- "$@" -drive "file=$BUILD/disk$i.img,if=virtio,format=raw,cache=writeback,discard=unmap"
	done
	timeout --foreground -k 10 "$limit" qemu-system-x86_64 -accel tcg -cpu max \
		-smp 2 -m "$VM_MEM" -nographic -no-reboot -nic "${VM_NIC:-none}" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-kernel "$KIMAGE" -initrd "$BUILD/initramfs.gz" \
		-append "console=ttyS0 panic=-1 loglevel=4 couche.run=$run" \
		"$@" < /dev/null 2>&1 | tr -d '\r' | tee "$log" | grep --line-buffered -v '^\[' 
	grep -q '^COUCHE-VM-RESULT: 0$' "$log"
}
