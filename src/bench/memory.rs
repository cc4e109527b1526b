//! Peak resident memory of this process and of a child, from `/proc/<pid>/status` (`VmHWM`). On systems
//! without `/proc` the figures are absent rather than wrong.

/// Peak resident set size of this process in bytes.
pub fn self_peak_bytes() -> Option<u64> {
    read_vm_hwm("/proc/self/status")
}

/// Peak resident set size of process `pid` in bytes.
pub fn pid_peak_bytes(pid: u32) -> Option<u64> {
    read_vm_hwm(&format!("/proc/{pid}/status"))
}

fn read_vm_hwm(path: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    parse_vm_hwm(&text)
}

fn parse_vm_hwm(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_high_water_mark() {
        assert_eq!(parse_vm_hwm("Name:\tx\nVmHWM:\t  12345 kB\nVmRSS:\t1 kB\n"), Some(12345 * 1024));
        assert_eq!(parse_vm_hwm("Name:\tx\n"), None);
    }

    #[test]
    fn this_process_has_a_peak_on_linux() {
        if cfg!(target_os = "linux") {
            assert!(self_peak_bytes().unwrap_or(0) > 0);
        }
    }
}
