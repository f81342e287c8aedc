from watchhouse.config import RateLimit
from watchhouse.publish.rate_limit import LeakyBucketLimiter, retry_after_header


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_burst_of_30_then_refused_with_time_to_wait():
    clock = FakeClock()
    limiter = LeakyBucketLimiter(RateLimit(rate=15, burst=30), clock)
    assert [limiter.retry_after("a") for _ in range(30)] == [None] * 30
    wait = limiter.retry_after("a")
    assert wait is not None and abs(wait - 1 / 15) < 1e-9
    assert retry_after_header(wait) == "1"


def test_drains_at_15_per_second():
    clock = FakeClock()
    limiter = LeakyBucketLimiter(RateLimit(rate=15, burst=30), clock)
    for _ in range(30):
        limiter.retry_after("a")
    clock.now += 1.0  # 15 drained
    assert [limiter.retry_after("a") for _ in range(15)] == [None] * 15
    assert limiter.retry_after("a") is not None


def test_sustained_15_per_second_is_never_refused():
    clock = FakeClock()
    limiter = LeakyBucketLimiter(RateLimit(rate=15, burst=30), clock)
    for _ in range(15 * 20):
        assert limiter.retry_after("a") is None
        clock.now += 1 / 15


def test_refused_requests_do_not_fill_the_bucket():
    clock = FakeClock()
    limiter = LeakyBucketLimiter(RateLimit(rate=15, burst=30), clock)
    for _ in range(30):
        limiter.retry_after("a")
    for _ in range(100):
        assert limiter.retry_after("a") is not None
    clock.now += 1 / 15
    assert limiter.retry_after("a") is None


def test_clients_have_their_own_buckets():
    clock = FakeClock()
    limiter = LeakyBucketLimiter(RateLimit(rate=15, burst=30), clock)
    for _ in range(30):
        limiter.retry_after("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") is not None
    assert limiter.retry_after("10.0.0.2") is None


def test_disabled_limit_admits_everything():
    limiter = LeakyBucketLimiter(RateLimit(rate=0, burst=0, enabled=False), FakeClock())
    assert all(limiter.retry_after("a") is None for _ in range(1000))
