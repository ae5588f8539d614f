//! Pins a thread to one CPU where the operating system allows it (Linux's
//! `sched_setaffinity`), so that the two threads of a data-parallel session
//! ([`crate::parallel`]) each keep a CPU and its caches instead of being
//! moved around by the scheduler. Everywhere else, and when the call is
//! refused (a container's CPU set, a seccomp filter), nothing happens: the
//! threads run unpinned, with the same results.
//!
//! The only `unsafe` code of the harness lives here: the `libc` calls on a
//! `cpu_set_t` owned by the caller's stack frame.

/// Restores the calling thread's previous CPU set when dropped.
pub(crate) struct Pinned {
    #[cfg(target_os = "linux")]
    saved: libc::cpu_set_t,
}

impl Drop for Pinned {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        // SAFETY: `saved` is a valid, initialised cpu_set_t that lives for the call;
        // pid 0 names the calling thread. A failure leaves the thread pinned, which is harmless.
        unsafe {
            let _ = libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &self.saved);
        }
    }
}

/// Two CPUs the calling thread may run on for a pair of threads: the one it
/// runs on now and the next allowed one after it, or `None` when fewer than
/// two are allowed or the OS does not tell.
pub(crate) fn pair() -> Option<[usize; 2]> {
    #[cfg(target_os = "linux")]
    {
        let set = current()?;
        let max = libc::CPU_SETSIZE as usize;
        // SAFETY: `set` is a valid cpu_set_t and every index is below CPU_SETSIZE.
        let allowed: Vec<usize> = (0..max).filter(|&c| unsafe { libc::CPU_ISSET(c, &set) }).collect();
        if allowed.len() < 2 {
            return None;
        }
        // SAFETY: sched_getcpu takes no arguments; it returns -1 on failure.
        let now = unsafe { libc::sched_getcpu() };
        let first = usize::try_from(now)
            .ok()
            .and_then(|c| allowed.iter().position(|&a| a == c))
            .unwrap_or(0);
        Some([allowed[first], allowed[(first + 1) % allowed.len()]])
    }
    #[cfg(not(target_os = "linux"))]
    None
}

/// Pins the calling thread to `cpu`; the returned guard puts its previous
/// CPU set back. `None` (and nothing changed) when the OS refuses.
pub(crate) fn pin(cpu: usize) -> Option<Pinned> {
    #[cfg(target_os = "linux")]
    {
        let saved = current()?;
        if cpu >= libc::CPU_SETSIZE as usize {
            return None;
        }
        // SAFETY: an all-zero cpu_set_t is the empty set; CPU_SET writes inside it
        // (cpu < CPU_SETSIZE); pid 0 names the calling thread.
        let ok = unsafe {
            let mut one: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut one);
            libc::sched_setaffinity(0, size_of::<libc::cpu_set_t>(), &one) == 0
        };
        ok.then_some(Pinned { saved })
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = cpu;
        None
    }
}

/// The calling thread's CPU set.
#[cfg(target_os = "linux")]
fn current() -> Option<libc::cpu_set_t> {
    // SAFETY: an all-zero cpu_set_t is valid; sched_getaffinity writes at most its size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        (libc::sched_getaffinity(0, size_of::<libc::cpu_set_t>(), &mut set) == 0).then_some(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinning_restores_the_previous_cpu_set() {
        // runs on its own thread, so the test harness's threads are untouched
        std::thread::spawn(|| {
            let Some([a, b]) = pair() else { return };
            assert_ne!(a, b);
            #[cfg(target_os = "linux")]
            {
                let before = current().map(|s| unsafe { libc::CPU_COUNT(&s) });
                if let Some(guard) = pin(b) {
                    let during = current().expect("readable");
                    // SAFETY: a valid set and an index below CPU_SETSIZE
                    assert!(unsafe { libc::CPU_ISSET(b, &during) });
                    assert_eq!(unsafe { libc::CPU_COUNT(&during) }, 1);
                    drop(guard);
                    assert_eq!(current().map(|s| unsafe { libc::CPU_COUNT(&s) }), before);
                }
            }
        })
        .join()
        .expect("no panic");
    }
}
