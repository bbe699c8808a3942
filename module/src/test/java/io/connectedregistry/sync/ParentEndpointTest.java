package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Test;

class ParentEndpointTest {

  @Test
  void anIpv6ParentIsNamedWithOnePairOfBracketsAndRecognisedInItsOwnRealm() {
    ParentEndpoint parent = ParentEndpoint.of("http://[::1]:5000").withCredentials("sync", "pw");

    assertEquals("::1", parent.host());
    assertEquals("[::1]:5000", parent.authority());
    assertEquals("http://[::1]:5000", parent.baseUrl());
    assertTrue(parent.isParent(URI.create("http://[::1]:5000/oauth2/token")));
    assertTrue(parent.mayReceiveCredentials(URI.create("http://[::1]:5000/oauth2/token")));
    assertFalse(parent.mayReceiveCredentials(URI.create("http://[::1]:5001/oauth2/token")));
  }

  @Test
  void credentialsGoToAnotherHostOnlyOverHttpsAndOnlyWhenListed() {
    ParentEndpoint parent = ParentEndpoint.of("https://registry.example:443")
        .withCredentials("sync", "pw").withTokenRealms(List.of("auth.example:443"));

    assertTrue(parent.mayReceiveCredentials(URI.create("https://registry.example/token")));
    assertTrue(parent.mayReceiveCredentials(URI.create("https://AUTH.example/token?service=x")));
    assertFalse(parent.mayReceiveCredentials(URI.create("http://auth.example/token")));
    assertFalse(parent.mayReceiveCredentials(URI.create("https://auth.example:8443/token")));
    assertFalse(parent.mayReceiveCredentials(URI.create("https://evil.example/token")));
    assertFalse(parent.mayReceiveCredentials(URI.create("http://registry.example:443/token")));
  }
}
