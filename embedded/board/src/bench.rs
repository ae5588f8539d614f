//! Region markers: an instruction-counting QEMU plugin counts the guest
//! instructions from the entry of a `*_start` symbol to the entry of the
//! matching `*_stop` (`../shared/tools/qemu-insncount`). On hardware they
//! cost a few instructions each.

/// Written by the markers so that each has a distinct body (LTO would merge identical ones).
static mut BENCH_MARK: u32 = 0;

macro_rules! marker {
    ($name:ident, $value:expr) => {
        /// A region marker (a symbol the instruction-counting plugin watches).
        #[unsafe(no_mangle)]
        #[inline(never)]
        pub extern "C" fn $name() {
            // SAFETY: a volatile write to a private static; single core, no interrupts touch it.
            unsafe { core::ptr::write_volatile(&raw mut BENCH_MARK, $value) };
        }
    };
}
marker!(bench_train_start, 1);
marker!(bench_train_stop, 2);
marker!(bench_infer_start, 3);
marker!(bench_infer_stop, 4);
