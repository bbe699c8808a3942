package io.connectedregistry.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.connectedregistry.auth.LoginException.Kind;
import io.connectedregistry.config.RegistryConfig.AuthConfig.Anonymous;
import io.connectedregistry.config.RegistryConfig.Mode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * {@link AccessControl} reads every request's {@code Authorization} header, from any client: the
 * answer is a principal or {@link LoginException}, never another exception.
 */
class AccessControlProperties {
  private static Path data;
  private static AuthStore store;
  private static AccessControl access;
  private static String password;

  @BeforeContainer
  static void openStore() throws IOException {
    data = Files.createTempDirectory("access-properties");
    PasswordHasher hasher = new PasswordHasher(1_000);
    store = AuthStore.open(data, Mode.ReadWrite, Limits.DEFAULTS, hasher, Clock.systemUTC());
    store.createScopeMap(new ScopeMap("pull-app", "", List.of(
        ScopeMapRule.of("app/*", Action.CONTENT_READ, Action.METADATA_READ))));
    store.createToken("puller", "pull-app", TokenStatus.ENABLED);
    password = store.generatePassword("puller", PasswordSlot.PASSWORD1, Optional.empty()).password();
    access = new AccessControl(store, new Authenticator(store, hasher), TokenService.open(data, Duration.ofMinutes(5)),
        new LoginThrottle(10_000), Anonymous.NONE, List.of(), Clock.systemUTC());
  }

  @AfterContainer
  static void closeStore() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(data)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Property
  void aBasicHeaderDecodesToItsNameAndPassword(@ForAll("unicode") String name, @ForAll("unicode") String secret,
      @ForAll("basicSpellings") String scheme) {
    String nameWithoutColon = name.replace(":", "");
    String header = scheme + " " + Base64.getEncoder().encodeToString(
        (nameWithoutColon + ":" + secret).getBytes(StandardCharsets.UTF_8));
    assertEquals(true, AccessControl.isScheme(header, "Basic"));
    assertArrayEquals(new String[] {nameWithoutColon, secret}, AccessControl.decodeBasic(header));
  }

  @Property(tries = 1000)
  void anyBasicHeaderDecodesOrIsUnauthenticated(@ForAll("authorizationShaped") String header) {
    if (AccessControl.isScheme(header, "Basic")) {
      try {
        assertEquals(2, AccessControl.decodeBasic(header).length);
      } catch (LoginException e) {
        assertEquals(Kind.UNAUTHENTICATED, e.kind());
      }
    }
  }

  @Property(tries = 300)
  void anyBase64PayloadDecodesOrIsUnauthenticated(@ForAll byte[] payload) {
    String header = "Basic " + Base64.getEncoder().encodeToString(payload); // invalid UTF-8 included
    try {
      assertEquals(2, AccessControl.decodeBasic(header).length);
    } catch (LoginException e) {
      assertEquals(Kind.UNAUTHENTICATED, e.kind());
    }
  }

  @Property(tries = 300)
  void anyAuthorizationHeaderIsAPrincipalOrALoginException(@ForAll("authorizationShaped") String header) {
    resolvedOrRefused(header);
  }

  @Property(tries = 300)
  void anyStringIsAPrincipalOrALoginException(@ForAll String header) {
    resolvedOrRefused(header);
  }

  @Property(tries = 20)
  void hugeHeadersAreAPrincipalOrALoginException(@ForAll @IntRange(min = 1_000, max = 50_000) int count,
      @ForAll("hugePieces") String piece) {
    resolvedOrRefused(piece.replace("N", "A".repeat(count)));
  }

  @Property(tries = 50)
  void theRightPasswordLogsInWhateverTheSchemesCase(@ForAll("basicSpellings") String scheme) {
    String header = scheme + " " + Base64.getEncoder().encodeToString(
        ("puller:" + password).getBytes(StandardCharsets.UTF_8));
    assertEquals("puller", access.resolve(header, "192.0.2.1").tokenName());
  }

  @Example
  void aBearerTokenWhoseHeaderIsJsonNullIsAnInvalidToken() {
    // "null" in base64url: this threw NullPointerException out of the JWT parser (a 500 for any client).
    LoginException e = assertThrows(LoginException.class, () -> access.resolve("Bearer bnVsbA.e30.AAAA", "192.0.2.1"));
    assertEquals(Kind.INVALID_TOKEN, e.kind());
  }

  private static void resolvedOrRefused(String header) {
    try {
      assertNotNull(access.resolve(header, "192.0.2.1"));
    } catch (LoginException e) {
      assertNotNull(e.kind());
    }
  }

  @Provide
  Arbitrary<String> unicode() {
    // Strings that survive UTF-8 (no lone surrogates): what a client can actually send.
    return Arbitraries.strings().ofMaxLength(40)
        .filter(s -> s.equals(new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8)));
  }

  @Provide
  Arbitrary<String> basicSpellings() {
    return Arbitraries.of("Basic", "basic", "BASIC", "bAsIc");
  }

  @Provide
  Arbitrary<String> authorizationShaped() {
    Arbitrary<String> base64 = Arbitraries.bytes().array(byte[].class).ofMaxSize(40)
        .map(b -> Base64.getEncoder().encodeToString(b));
    Arbitrary<String> piece = Arbitraries.oneOf(base64, Arbitraries.strings().ofMaxLength(8), Arbitraries.of(
        "Basic", "Bearer", "basic ", "Bearer ", " ", "=", "==", ":", ".", "eyJhbGciOiJIUzI1NiJ9", "cHVsbGVyOg==",
        "\u0000", "\t", "\r\n", "Basic\u00a0", "Negotiate "));
    return piece.list().ofMaxSize(8).map(pieces -> String.join("", pieces)).injectNull(0.05);
  }

  @Provide
  Arbitrary<String> hugePieces() {
    return Arbitraries.of("Basic N", "Basic N==", "Bearer N", "Bearer N.N.N", "Basic " + "cHVsbGVyOg==", "N");
  }
}
