//! One look at a profiled process: the GIL's words, its holder's OS thread, and every
//! thread's kernel state, read one right after the other.
use crate::measure::outside::kernel_wait::{self, KernelWait};
use crate::measure::outside::parked::{parked_on, ParkedOn};
use crate::measure::outside::sibling::BuildLayout;
use crate::measure::outside::{OutsideGil, OutsideReading};
use crate::measure::tasks;
use std::cell::RefCell;
use std::collections::HashMap;

/// One look at the process: the GIL's word and its holder, and every thread's kernel state,
/// read one right after the other.
pub struct Moment {
    pub gil: OutsideReading,
    pub holder: Option<u64>,
    pub waits: HashMap<u64, KernelWait>,
    /// A free-threaded build: what each thread asleep in the parking lot waits for, read right
    /// after its kernel state (its wait entry lives only while it sleeps).
    pub parked: HashMap<u64, ParkedOn>,
}

impl Moment {
    /// Whether thread `tid` held the GIL at this moment (never, when holders cannot be mapped).
    pub fn holds(&self, tid: u64) -> bool {
        self.holder == Some(tid)
    }
}

pub fn look(gil: &OutsideGil, holders: &Holders, pid: i32) -> Option<Moment> {
    let reading = gil.read().ok()?;
    let waits = tasks::ids(pid)
        .into_iter()
        .filter_map(|tid| Some((tid, kernel_wait::read(pid, tid)?)))
        .collect::<HashMap<_, _>>();
    let on_gil = gil.state_range();
    let parked = if gil.free_threaded() {
        waits
            .iter()
            .filter_map(|(tid, w)| match w {
                KernelWait::Futex(a) if !on_gil.contains(a) => Some((*tid, parked_on(pid, *a)?)),
                _ => None,
            })
            .collect()
    } else {
        HashMap::new()
    };
    let holder = reading
        .locked
        .then(|| holders.tid(reading.last_holder, &waits))
        .flatten();
    Some(Moment {
        gil: reading,
        holder,
        waits,
        parked,
    })
}

/// The GIL holder's thread state mapped to its OS thread, through the build's layout
/// (cached per thread state while its thread lives).
pub struct Holders {
    pid: i32,
    layout: Option<BuildLayout>,
    cache: RefCell<HashMap<usize, u64>>,
}

impl Holders {
    pub fn new(pid: i32, gil: &OutsideGil) -> Holders {
        Holders {
            pid,
            layout: gil.thread_layout().ok(),
            cache: RefCell::new(HashMap::new()),
        }
    }

    pub fn known(&self) -> bool {
        self.layout.is_some()
    }

    fn tid(&self, tstate: usize, live: &HashMap<u64, KernelWait>) -> Option<u64> {
        let cached = self.cache.borrow().get(&tstate).copied();
        if let Some(tid) = cached.filter(|t| live.contains_key(t)) {
            return Some(tid);
        }
        let tid = self
            .layout
            .as_ref()?
            .os_thread_id(self.pid, tstate)
            .filter(|t| live.contains_key(t))?;
        self.cache.borrow_mut().insert(tstate, tid);
        Some(tid)
    }
}
