# SPDX-License-Identifier: GPL-2.0-or-later
#
# Summarises the guest's time series (the "ts=" lines that supervise writes
# every 100 ms into results.txt) as key=value lines:
#
#   awk -f tests/vm/series-stats.awk results.txt
#
# A 1 s window runs from one sample to the first sample at least 1000 ms
# later; its full-stall fraction is delta(pfull) / delta(ts). The fields of a
# ts line are described in tests/vm/README.md. Keys written:
#   series_samples, series_max_gap_ms   how many samples, the longest gap
#   full_peak_100ms_pct, full_peak_1s_pct  the worst 100 ms and 1 s windows
#   full_1s_ge20_s, full_1s_ge40_s       total time in 1 s windows stalled >= 20 / 40 %
#   full_run20_s, full_run40_s           longest run of consecutive such windows
#   full_run20_from_ms, full_run20_to_ms where that >= 20 % run lies
#   stall_rfa_per_s stall_rff_per_s stall_pin_per_s stall_pout_per_s
#                                        workingset refaults (anon, file) and
#                                        pswpin/pswpout per second, over the
#                                        1 s windows stalled >= 20 % ("-" if none)
#   avail_min_kib, anon_peak_kib          lowest MemAvailable, highest AnonPages
#   avail_last5s_kib                      mean MemAvailable over the last 5 s
#   swap_used_peak_series_kib            highest SwapTotal - SwapFree
#   zram_peak_orig_series_kib, zram_used_at_peak_kib, zram_ratio_at_peak
#                                        zram's largest orig_data_size, its
#                                        mem_used_total then, and their ratio

function val(key,    i, kv) {
	for (i = 1; i <= NF; i++) {
		split($i, kv, "=")
		if (kv[1] == key)
			return kv[2] + 0
	}
	return -1
}

function close_run(which) {
	if (run_len[which] > best_run[which]) {
		best_run[which] = run_len[which]
		best_from[which] = run_from[which]
		best_to[which] = run_to[which]
	}
	run_len[which] = 0
}

/^ts=/ {
	t = val("ts"); full = val("pfull"); avail = val("avail"); anon = val("anon")
	rfa = val("rfa"); rff = val("rff"); pin = val("pin"); pout = val("pout")
	zorig = val("zorig"); zused = val("zused")
	swapused = val("swaptotal") - val("swapfree")
	n++
	if (n == 1 || avail < avail_min) avail_min = avail
	if (n == 1 || anon > anon_peak) anon_peak = anon
	if (n == 1 || swapused > swap_peak) swap_peak = swapused
	if (zorig > zorig_peak) { zorig_peak = zorig; zused_then = zused }
	last_t[n] = t; last_avail[n] = avail
	if (n > 1) {
		dt = t - prev_t
		if (dt > max_gap) max_gap = dt
		if (dt > 0 && full >= 0 && prev_full >= 0) {
			f = (full - prev_full) / (dt * 10)
			if (f > peak100) peak100 = f
		}
	}
	prev_t = t; prev_full = full
	if (n == 1) {
		w_t = t; w_full = full; w_rfa = rfa; w_rff = rff; w_pin = pin; w_pout = pout
		next
	}
	if (t - w_t >= 1000) {
		dt = t - w_t
		f = (full - w_full) / (dt * 10)
		if (f > peak1s) peak1s = f
		split("20 40", levels, " ")
		for (l in levels) {
			lv = levels[l]
			if (f >= lv) {
				ge[lv] += dt
				if (run_len[lv] == 0) run_from[lv] = w_t
				run_len[lv] += dt
				run_to[lv] = t
			} else {
				close_run(lv)
			}
		}
		if (f >= 20) {
			st_dt += dt; st_rfa += rfa - w_rfa; st_rff += rff - w_rff
			st_pin += pin - w_pin; st_pout += pout - w_pout
		}
		w_t = t; w_full = full; w_rfa = rfa; w_rff = rff; w_pin = pin; w_pout = pout
	}
}

function rate(x) {
	return (st_dt > 0 ? sprintf("%.0f", x * 1000 / st_dt) : "-")
}

END {
	close_run(20); close_run(40)
	printf "series_samples=%d\nseries_max_gap_ms=%d\n", n, max_gap
	if (n == 0)
		exit
	printf "full_peak_100ms_pct=%.0f\nfull_peak_1s_pct=%.0f\n", peak100, peak1s
	printf "full_1s_ge20_s=%.1f\nfull_1s_ge40_s=%.1f\n", ge[20] / 1000, ge[40] / 1000
	printf "full_run20_s=%.1f\nfull_run40_s=%.1f\n", best_run[20] / 1000, best_run[40] / 1000
	printf "full_run20_from_ms=%d\nfull_run20_to_ms=%d\n", best_from[20], best_to[20]
	printf "stall_rfa_per_s=%s\nstall_rff_per_s=%s\n", rate(st_rfa), rate(st_rff)
	printf "stall_pin_per_s=%s\nstall_pout_per_s=%s\n", rate(st_pin), rate(st_pout)
	sum = 0; cnt = 0
	for (i = n; i >= 1 && last_t[i] >= last_t[n] - 5000; i--) { sum += last_avail[i]; cnt++ }
	printf "avail_min_kib=%d\navail_last5s_kib=%.0f\nanon_peak_kib=%d\n", avail_min, sum / cnt, anon_peak
	printf "swap_used_peak_series_kib=%d\n", swap_peak
	printf "zram_peak_orig_series_kib=%d\nzram_used_at_peak_kib=%d\n", zorig_peak / 1024, zused_then / 1024
	printf "zram_ratio_at_peak=%s\n", (zused_then > 0 ? sprintf("%.2f", zorig_peak / zused_then) : "-")
}
