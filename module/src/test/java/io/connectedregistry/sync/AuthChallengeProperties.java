package io.connectedregistry.sync;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.chars;
import static io.connectedregistry.Generators.joined;
import static io.connectedregistry.Generators.nullable;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.maps;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link AuthChallenge#parse} reads the parent's {@code WWW-Authenticate}: a hostile parent's
 * header is a challenge or null, never an exception.
 */
class AuthChallengeProperties {

  @Test
  void aGeneratedChallengeParsesToItsSchemeAndParameters() {
    qt().withExamples(500).forAll(schemes(), parameters(), booleans().all()).checkAssert((scheme, parameters, spaces) -> {
      String header = scheme + " " + parameters.entrySet().stream()
          .map(e -> e.getKey() + "=\"" + e.getValue().replace("\\", "\\\\").replace("\"", "\\\"") + "\"")
          .collect(Collectors.joining(spaces ? ", " : ","));

      AuthChallenge challenge = AuthChallenge.parse(header);

      assertEquals(scheme.toLowerCase(Locale.ROOT), challenge.scheme());
      assertEquals(parameters.entrySet().stream().collect(Collectors.toMap(
          e -> e.getKey().toLowerCase(Locale.ROOT), Map.Entry::getValue, (a, b) -> b)), challenge.parameters());
    });
  }

  @Test
  void unquotedParametersParseToo() {
    qt().withExamples(500).forAll(schemes(), tokens(), tokens()).checkAssert((scheme, key, value) -> {
      AuthChallenge challenge = AuthChallenge.parse(scheme + " " + key + "=" + value);
      assertEquals(value, challenge.parameters().get(key.toLowerCase(Locale.ROOT)));
    });
  }

  @Test
  void anyHeaderIsAChallengeOrNull() {
    qt().withExamples(1000).forAll(challengeShaped()).checkAssert(AuthChallengeProperties::challengeOrNull);
  }

  @Test
  void anyStringIsAChallengeOrNull() {
    qt().withExamples(1000).forAll(anyStrings(200)).checkAssert(AuthChallengeProperties::challengeOrNull);
  }

  @Test
  void invalidUtf8IsAChallengeOrNull() {
    qt().withExamples(300).forAll(bytes(0, 300)).checkAssert(bytes -> {
      challengeOrNull("Bearer " + new String(bytes, StandardCharsets.UTF_8));
      challengeOrNull(new String(bytes, StandardCharsets.ISO_8859_1));
    });
  }

  @Test
  void hugeHeadersAreAChallengeOrNull() {
    qt().withExamples(20).forAll(integers().between(1_000, 100_000),
            pick("a=\"b\",", "=", "\"", "\\", ",", " ", "a=", "a=\"\\", "realm=\"x"))
        .checkAssert((count, piece) -> challengeOrNull("Bearer " + piece.repeat(count)));
  }

  @Test
  void blankOrMissingHeadersAreNull() {
    qt().withExamples(500).forAll(nullable(strings(" \t\n\u000b\f\r\u2003", 0, 10), 20))
        .checkAssert(header -> assertNull(AuthChallenge.parse(header)));
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

  private static Gen<String> schemes() {
    return Generate.oneOf(pick("Bearer", "Basic", "bearer", "BASIC"),
        strings(Generate.oneOf(chars('a', 'z'), chars('A', 'Z')), 1, 10));
  }

  /** Values free of leading and trailing blanks, which the parser trims. */
  private static Gen<Map<String, String>> parameters() {
    Gen<String> value = strings(Generate.oneOf(chars(' ', '~'), chars('\u00a0', '\u017f')), 0, 60)
        .map(String::trim);
    return maps().of(tokens(), value).ofSizeBetween(0, 6);
  }

  private static Gen<String> tokens() {
    return strings(Generate.oneOf(chars('a', 'z'), chars('A', 'Z'), chars('0', '9'), chars("-_.:/")), 1, 20);
  }

  private static Gen<String> challengeShaped() {
    return joined(Generate.oneOf(tokens(), pick("Bearer", " ", ",", "=", "\"", "\\", "realm", "scope", "service", "\t",
        "\u0000", "\r\n", "\"\"", "=\"", "\\\"")), 20);
  }
}
