-- wrk script for latency: plain GETs of the URL; prints "WRK {json}" with the median.

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"duration_us": %d, "requests": %d, "failed": %d, "socket_errors": %d, "p50_us": %d}\n',
    summary.duration, summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout, latency:percentile(50)
  ))
end
