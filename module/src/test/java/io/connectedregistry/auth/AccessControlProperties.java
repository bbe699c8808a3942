package io.connectedregistry.auth;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.joined;
import static io.connectedregistry.Generators.nullable;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.unicodeStrings;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;

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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link AccessControl} reads every request's {@code Authorization} header, from any client: the
 * answer is a principal or {@link LoginException}, never another exception.
 */
class AccessControlProperties {
  private static Path data;
  private static AuthStore store;
  private static AccessControl access;
  private static String password;

  @BeforeAll
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

  @AfterAll
  static void closeStore() throws IOException {
    store.close();
    try (Stream<Path> files = Files.walk(data)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  @Test
  void aBasicHeaderDecodesToItsNameAndPassword() {
    qt().withExamples(500).forAll(unicodeStrings(0, 40), unicodeStrings(0, 40), basicSpellings())
        .checkAssert((name, secret, scheme) -> {
          String nameWithoutColon = name.replace(":", "");
          String header = scheme + " " + Base64.getEncoder().encodeToString(
              (nameWithoutColon + ":" + secret).getBytes(StandardCharsets.UTF_8));
          assertEquals(true, AccessControl.isScheme(header, "Basic"));
          assertArrayEquals(new String[] {nameWithoutColon, secret}, AccessControl.decodeBasic(header));
        });
  }

  @Test
  void anyBasicHeaderDecodesOrIsUnauthenticated() {
    qt().withExamples(1000).forAll(authorizationShaped()).checkAssert(header -> {
      if (AccessControl.isScheme(header, "Basic")) {
        decodedOrUnauthenticated(header);
      }
    });
  }

  @Test
  void anyBase64PayloadDecodesOrIsUnauthenticated() {
    // Invalid UTF-8 included.
    qt().withExamples(300).forAll(bytes(0, 300))
        .checkAssert(payload -> decodedOrUnauthenticated("Basic " + Base64.getEncoder().encodeToString(payload)));
  }

  @Test
  void anyAuthorizationHeaderIsAPrincipalOrALoginException() {
    qt().withExamples(300).forAll(authorizationShaped()).checkAssert(AccessControlProperties::resolvedOrRefused);
  }

  @Test
  void anyStringIsAPrincipalOrALoginException() {
    qt().withExamples(300).forAll(anyStrings(100)).checkAssert(AccessControlProperties::resolvedOrRefused);
  }

  @Test
  void hugeHeadersAreAPrincipalOrALoginException() {
    qt().withExamples(20).forAll(integers().between(1_000, 50_000),
            pick("Basic N", "Basic N==", "Bearer N", "Bearer N.N.N", "Basic " + "cHVsbGVyOg==", "N"))
        .checkAssert((count, piece) -> resolvedOrRefused(piece.replace("N", "A".repeat(count))));
  }

  @Test
  void theRightPasswordLogsInWhateverTheSchemesCase() {
    qt().withExamples(50).forAll(basicSpellings()).checkAssert(scheme -> {
      String header = scheme + " " + Base64.getEncoder().encodeToString(
          ("puller:" + password).getBytes(StandardCharsets.UTF_8));
      assertEquals("puller", access.resolve(header, "192.0.2.1").tokenName());
    });
  }

  @Test
  void aBearerTokenWhoseHeaderIsJsonNullIsAnInvalidToken() {
    // "null" in base64url: this threw NullPointerException out of the JWT parser (a 500 for any client).
    LoginException e = assertThrows(LoginException.class, () -> access.resolve("Bearer bnVsbA.e30.AAAA", "192.0.2.1"));
    assertEquals(Kind.INVALID_TOKEN, e.kind());
  }

  private static void decodedOrUnauthenticated(String header) {
    try {
      assertEquals(2, AccessControl.decodeBasic(header).length);
    } catch (LoginException e) {
      assertEquals(Kind.UNAUTHENTICATED, e.kind());
    }
  }

  private static void resolvedOrRefused(String header) {
    try {
      assertNotNull(access.resolve(header, "192.0.2.1"));
    } catch (LoginException e) {
      assertNotNull(e.kind());
    }
  }

  private static Gen<String> basicSpellings() {
    return pick("Basic", "basic", "BASIC", "bAsIc");
  }

  private static Gen<String> authorizationShaped() {
    Gen<String> base64 = bytes(0, 40).map(b -> Base64.getEncoder().encodeToString(b));
    Gen<String> piece = Generate.oneOf(base64, anyStrings(8), pick(
        "Basic", "Bearer", "basic ", "Bearer ", " ", "=", "==", ":", ".", "eyJhbGciOiJIUzI1NiJ9", "cHVsbGVyOg==",
        "\u0000", "\t", "\r\n", "Basic\u00a0", "Negotiate "));
    return nullable(joined(piece, 8), 5);
  }
}
