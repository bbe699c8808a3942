package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class AuthChallengeTest {
  @Test
  void bearerChallengeWithQuotedCommasIsParsed() {
    AuthChallenge c = AuthChallenge.parse(
        "Bearer realm=\"https://auth.example/token\",service=\"registry.example\",scope=\"repository:a/b:pull,push\"");
    assertTrue(c.bearer());
    assertEquals("https://auth.example/token", c.realm());
    assertEquals("registry.example", c.service());
    assertEquals("repository:a/b:pull,push", c.scope());
  }

  @Test
  void basicChallengeAndUnquotedValues() {
    AuthChallenge c = AuthChallenge.parse("basic realm=registry, charset=UTF-8");
    assertTrue(c.basic());
    assertEquals("registry", c.realm());
    assertEquals("UTF-8", c.parameters().get("charset"));
  }

  @Test
  void missingHeaderIsNoChallenge() {
    assertNull(AuthChallenge.parse(null));
    assertNull(AuthChallenge.parse("  "));
  }

  @Test
  void nextLinkIsFoundAmongOtherLinks() {
    assertEquals("/v2/a/tags/list?n=2&last=b",
        PagedListing.nextLink("<https://x/prev>; rel=\"prev\", </v2/a/tags/list?n=2&last=b>; rel=\"next\""));
    assertNull(PagedListing.nextLink(null));
  }
}
