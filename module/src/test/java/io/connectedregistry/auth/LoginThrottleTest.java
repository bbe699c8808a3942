package io.connectedregistry.auth;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LoginThrottleTest {

  @Test
  void anAddressIsThrottledOnceItsBudgetIsSpent() {
    LoginThrottle throttle = new LoginThrottle(2);
    throttle.failed("192.0.2.1");
    assertFalse(throttle.throttled("192.0.2.1"));
    throttle.failed("192.0.2.1");
    assertTrue(throttle.throttled("192.0.2.1"));
    assertFalse(throttle.throttled("192.0.2.2"), "another address keeps its budget");
  }

  /**
   * Many addresses, each within its own budget, still add up: past ten times the per-address
   * budget in a period, every uncached login is refused unchecked, whichever address it comes from.
   */
  @Test
  void failuresFromManyAddressesSpendAGlobalBudgetOfTenTimesThePerAddressOne() {
    LoginThrottle throttle = new LoginThrottle(2);
    for (int i = 1; i <= 9; i++) {
      throttle.failed("192.0.2." + i);
      throttle.failed("192.0.2." + i);
    }
    assertFalse(throttle.throttled("198.51.100.1"), "18 of 20 spent: a fresh address may still try");
    throttle.failed("192.0.2.10");
    assertFalse(throttle.throttled("198.51.100.1"), "19 of 20 spent");
    throttle.failed("192.0.2.10");
    assertTrue(throttle.throttled("198.51.100.1"), "20 of 20 spent: a fresh address is refused too");
  }

  /** An IPv6 client typically owns a whole /64: changing the low bits must not buy a new budget. */
  @Test
  void ipv6AddressesShareTheBudgetOfTheirSlash64() {
    LoginThrottle throttle = new LoginThrottle(2);
    throttle.failed("2001:db8:1:2::1");
    throttle.failed("2001:db8:1:2:ffff:ffff:ffff:fffe");
    assertTrue(throttle.throttled("2001:db8:1:2::1234"));
    assertFalse(throttle.throttled("2001:db8:1:3::1"), "another /64 keeps its budget");
  }
}
