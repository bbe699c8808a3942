package io.connectedregistry.api;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ClientAddressTest {

  private final ClientAddress behindProxy = new ClientAddress(List.of("172.18.0.0/16", "10.1.2.3", "fd00::/8"));

  @Test
  void withoutTrustedProxiesTheHeaderIsIgnored() {
    ClientAddress none = new ClientAddress(List.of());
    assertEquals("172.18.0.5", none.of("172.18.0.5", List.of("203.0.113.9")));
    assertEquals("192.0.2.1", behindProxy.of("192.0.2.1", List.of("203.0.113.9")),
        "a peer outside the trusted ranges speaks for itself only");
  }

  @Test
  void theRightMostAddressNotAddedByATrustedProxyIsTheClient() {
    assertEquals("203.0.113.9", behindProxy.of("172.18.0.5", List.of("203.0.113.9")));
    assertEquals("203.0.113.9", behindProxy.of("172.18.0.5", List.of("198.51.100.1, 203.0.113.9")),
        "what the client wrote itself, left of it, is ignored");
    assertEquals("203.0.113.9", behindProxy.of("172.18.0.5", List.of("198.51.100.1, 203.0.113.9, 10.1.2.3")),
        "a chain of trusted proxies is walked through");
    assertEquals("203.0.113.9", behindProxy.of("172.18.0.5", List.of("198.51.100.1", "203.0.113.9")),
        "several headers are one list");
  }

  @Test
  void aTrustedPeerWithoutTheHeaderIsItself() {
    assertEquals("172.18.0.5", behindProxy.of("172.18.0.5", List.of()));
    assertEquals("10.1.2.3", behindProxy.of("172.18.0.5", List.of("10.1.2.3")),
        "only trusted hops: the left-most one");
  }

  @Test
  void garbageIsChargedToTheNearestTrustedHop() {
    assertEquals("172.18.0.5", behindProxy.of("172.18.0.5", List.of("203.0.113.9, not-an-address")));
    assertEquals("10.1.2.3", behindProxy.of("172.18.0.5", List.of("example.com, 10.1.2.3")),
        "host names are never looked up");
    assertEquals("172.18.0.5", behindProxy.of("172.18.0.5", List.of("")));
  }

  @Test
  void addressesAreCanonicalSoOneClientCannotPassForMany() {
    assertEquals("2001:db8::1", behindProxy.of("172.18.0.5", List.of("2001:DB8:0:0:0:0:0:1")));
    assertEquals("2001:db8::1", behindProxy.of("172.18.0.5", List.of("[2001:db8::1]:4711")));
    assertEquals("203.0.113.9", behindProxy.of("172.18.0.5", List.of("203.0.113.9:4711")));
    assertEquals("203.0.113.9", behindProxy.of("172.18.0.5", List.of("::ffff:203.0.113.9")));
    assertEquals("203.0.113.9", behindProxy.of("fd12::7", List.of("203.0.113.9")), "an IPv6 proxy range");
    assertEquals("::1", behindProxy.of("0:0:0:0:0:0:0:1", List.of("203.0.113.9")));
    assertEquals("unknown", behindProxy.of(null, List.of("203.0.113.9")));
  }
}
