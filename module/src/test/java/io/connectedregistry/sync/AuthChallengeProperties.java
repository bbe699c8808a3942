package io.connectedregistry.sync;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * {@link AuthChallenge#parse} reads the parent's {@code WWW-Authenticate}: a hostile parent's
 * header is a challenge or null, never an exception.
 */
class AuthChallengeProperties {

  @Property
  void aGeneratedChallengeParsesToItsSchemeAndParameters(@ForAll("schemes") String scheme,
      @ForAll("parameters") Map<String, String> parameters, @ForAll boolean spaces) {
    String header = scheme + " " + parameters.entrySet().stream()
        .map(e -> e.getKey() + "=\"" + e.getValue().replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
        .collect(Collectors.joining(spaces ? ", " : ","));

    AuthChallenge challenge = AuthChallenge.parse(header);

    assertEquals(scheme.toLowerCase(Locale.ROOT), challenge.scheme());
    assertEquals(parameters.entrySet().stream().collect(Collectors.toMap(
        e -> e.getKey().toLowerCase(Locale.ROOT), Map.Entry::getValue, (a, b) -> b)), challenge.parameters());
  }

  @Property
  void unquotedParametersParseToo(@ForAll("schemes") String scheme, @ForAll("tokens") String key,
      @ForAll("tokens") String value) {
    AuthChallenge challenge = AuthChallenge.parse(scheme + " " + key + "=" + value);
    assertEquals(value, challenge.parameters().get(key.toLowerCase(Locale.ROOT)));
  }

  @Property(tries = 1000)
  void anyHeaderIsAChallengeOrNull(@ForAll("challengeShaped") String header) {
    challengeOrNull(header);
  }

  @Property(tries = 1000)
  void anyStringIsAChallengeOrNull(@ForAll String header) {
    challengeOrNull(header);
  }

  @Property(tries = 300)
  void invalidUtf8IsAChallengeOrNull(@ForAll byte[] bytes) {
    challengeOrNull("Bearer " + new String(bytes, StandardCharsets.UTF_8));
    challengeOrNull(new String(bytes, StandardCharsets.ISO_8859_1));
  }

  @Property(tries = 20)
  void hugeHeadersAreAChallengeOrNull(@ForAll @IntRange(min = 1_000, max = 100_000) int count,
      @ForAll("hugePieces") String piece) {
    challengeOrNull("Bearer " + piece.repeat(count));
  }

  @Property
  void blankOrMissingHeadersAreNull(@ForAll("blanks") String header) {
    assertNull(AuthChallenge.parse(header));
  }

  private static void challengeOrNull(String header) {
    AuthChallenge challenge = AuthChallenge.parse(header);
    if (challenge != null) {
      assertNotNull(challenge.scheme());
      challenge.realm();
      challenge.service();
      challenge.scope();
    }
  }

  @Provide
  Arbitrary<String> schemes() {
    return Arbitraries.oneOf(Arbitraries.of("Bearer", "Basic", "bearer", "BASIC"),
        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10));
  }

  /** Values free of leading and trailing blanks, which the parser trims. */
  @Provide
  Arbitrary<Map<String, String>> parameters() {
    Arbitrary<String> value = Arbitraries.strings().withCharRange(' ', '~').withCharRange('\u00a0', '\u017f')
        .ofMaxLength(60).filter(v -> v.equals(v.trim()));
    return Arbitraries.maps(tokens(), value).ofMaxSize(6);
  }

  @Provide
  Arbitrary<String> tokens() {
    return Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z').withCharRange('0', '9')
        .withChars("-_.:/").ofMinLength(1).ofMaxLength(20);
  }

  @Provide
  Arbitrary<String> challengeShaped() {
    Arbitrary<String> piece = Arbitraries.oneOf(tokens(), Arbitraries.of("Bearer", " ", ",", "=", "\"", "\\",
        "realm", "scope", "service", "\t", "\u0000", "\r\n", "\"\"", "=\"", "\\\""));
    return piece.list().ofMaxSize(20).map(pieces -> String.join("", pieces));
  }

  @Provide
  Arbitrary<String> hugePieces() {
    return Arbitraries.of("a=\"b\",", "=", "\"", "\\", ",", " ", "a=", "a=\"\\", "realm=\"x");
  }

  @Provide
  Arbitrary<String> blanks() {
    return Arbitraries.strings().withChars(" \t\n\u000b\f\r\u2003").ofMaxLength(10).injectNull(0.2);
  }
}
