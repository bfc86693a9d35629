"""docs/benchmarks.png: the data files and the gnuplot script a full run draws it with
(compare.sh runs `gnuplot WORKDIR/chart.gp` after `reports full`)."""
import os

# The servers of the echo charts, in the order of their bars.
ECHO_BARS = ("coronet_raw", "coronet_line", "coronet_length", "node")


def write(work, out_md, params, idle_n, shapes, echo_ratio, tests, kv_ratio, mem):
    """Writes WORKDIR/{echo,echo_cpu,kv,mem}.dat and WORKDIR/chart.gp, which draws
    benchmarks.png beside `out_md`. echo_ratio: (server, shape) -> (msg/s x Asio,
    msg/CPU-s x Asio, ...); kv_ratio: ("kv", test_P) -> (req/s x redis, req/CPU-s x
    redis); mem: (name, KiB per idle connection) pairs."""
    with open(os.path.join(work, "echo.dat"), "w") as f:
        for s, name in shapes:
            f.write(f'"{name}" ' + " ".join(f"{echo_ratio[(srv, s)][0]:.3f}" for srv in ECHO_BARS) + "\n")
    with open(os.path.join(work, "echo_cpu.dat"), "w") as f:
        for s, name in shapes:
            f.write(f'"{name}" ' + " ".join(f"{echo_ratio[(srv, s)][1]:.3f}" for srv in ECHO_BARS) + "\n")
    with open(os.path.join(work, "kv.dat"), "w") as f:
        for t in tests:
            p1, p16 = kv_ratio[("kv", t + "_P1")], kv_ratio[("kv", t + "_P16")]
            f.write(f'"{t}" {p1[0]:.3f} {p16[0]:.3f} {p1[1]:.3f} {p16[1]:.3f}\n')
    with open(os.path.join(work, "mem.dat"), "w") as f:
        for name, per in mem:
            f.write(f'"{name}" {per:.3f}\n')

    png = os.path.join(os.path.dirname(os.path.abspath(out_md)), "benchmarks.png")
    gp = f"""
set terminal pngcairo size 1500,1000 font "DejaVu Sans,11" noenhanced
set output "{png}"
set multiplot layout 2,2 title "coronet benchmarks ({params['when']}; ratios from one run, medians of {params['rounds']} round(s))" font ",14"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top left horizontal font ",10"
set yrange [0:*]
set offsets 0, 0, graph 0.22, 0   # headroom so the key never covers a bar
set xtics font ",10"
set datafile separator whitespace
set title "Echo pingpong: messages/s relative to hand-written Asio (1.0 = floor = target)"
set ylabel "x Asio"
plot "{work}/echo.dat" using 2:xtic(1) title "coronet raw" lc rgb "#1f77b4", \\
     "" using 3 title "coronet line" lc rgb "#2ca02c", \\
     "" using 4 title "coronet length" lc rgb "#17becf", \\
     "" using 5 title "Node.js" lc rgb "#d62728", \\
     1.0 with lines dt 2 lc rgb "black" title "1.0"
set title "Echo: messages per server CPU-second x Asio (targets 1.0; 1.10 at 64 B x 100)"
plot "{work}/echo_cpu.dat" using 2:xtic(1) title "coronet raw" lc rgb "#1f77b4", \\
     "" using 3 title "coronet line" lc rgb "#2ca02c", \\
     "" using 4 title "coronet length" lc rgb "#17becf", \\
     "" using 5 title "Node.js" lc rgb "#d62728", \\
     1.0 with lines dt 2 lc rgb "black" title "1.0", \\
     1.10 with lines dt 3 lc rgb "black" title "1.10"
set title "kv_server relative to redis-server (redis-benchmark -c 50; target >= 1.0)" noenhanced
set ylabel "x redis"
plot "{work}/kv.dat" using 2:xtic(1) title "req/s -P 1" lc rgb "#9467bd", \\
     "" using 3 title "req/s -P 16" lc rgb "#c5b0d5", \\
     "" using 4 title "req/CPU-s -P 1" lc rgb "#ff7f0e", \\
     "" using 5 title "req/CPU-s -P 16" lc rgb "#ffbb78", \\
     1.0 with lines dt 2 lc rgb "black" title "1.0"
set title "RSS per idle connection ({idle_n} open; target <= 4 KiB)"
set ylabel "KiB"
plot "{work}/mem.dat" using 2:xtic(1) title "KiB per connection" lc rgb "#8c564b", \\
     4 with lines dt 2 lc rgb "black" title "4 KiB"
unset multiplot
"""
    with open(os.path.join(work, "chart.gp"), "w") as f:
        f.write(gp)
