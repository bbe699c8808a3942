package io.connectedregistry.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * {@link Scope#parse} reads the {@code scope} parameters of {@code /oauth2/token}, sent by any
 * client before it has logged in: whatever they hold, the answer is a request (malformed entries
 * ask for nothing), never an exception.
 */
class ScopeProperties {

  @Property
  void theScopeOfAChallengeAsksForTheActionsItWasMadeFor(@ForAll("repositories") String repository,
      @ForAll Set<Action> actions) {
    Scope.Request request = Scope.parse(List.of(Scope.challenge(repository, actions)));

    Set<Action> expected = actions.isEmpty() ? EnumSet.noneOf(Action.class) : EnumSet.copyOf(actions);
    if (actions.contains(Action.CONTENT_READ) || actions.contains(Action.METADATA_READ)) {
      expected.add(Action.CONTENT_READ); // "pull" asks for both reads
      expected.add(Action.METADATA_READ);
    }
    assertEquals(expected, request.repositories().get(repository));
    assertFalse(request.catalog());
  }

  @Property
  void scopesSplitAcrossParametersAndSpacesAddUp(@ForAll @Size(min = 1, max = 8) List<@net.jqwik.api.From("repositories") String> names,
      @ForAll boolean catalog) {
    List<String> parameters = new ArrayList<>();
    for (int i = 0; i < names.size(); i++) {
      String scope = "repository:" + names.get(i) + ":" + (i % 2 == 0 ? "pull" : "push,delete");
      if (i > 0 && i % 3 == 0) {
        parameters.set(parameters.size() - 1, parameters.get(parameters.size() - 1) + "  " + scope);
      } else {
        parameters.add(scope);
      }
    }
    if (catalog) {
      parameters.add("registry:catalog:*");
    }
    Scope.Request request = Scope.parse(parameters);
    assertEquals(Set.copyOf(names), request.repositories().keySet());
    assertEquals(catalog, request.catalog());
  }

  @Property(tries = 1000)
  void anyParametersAreARequest(@ForAll @Size(max = 5) List<@net.jqwik.api.From("scopeShaped") String> parameters) {
    request(parameters);
  }

  @Property(tries = 1000)
  void anyStringsAreARequest(@ForAll @Size(max = 5) List<String> parameters) {
    request(parameters);
  }

  @Property(tries = 300)
  void invalidUtf8IsARequest(@ForAll byte[] bytes) {
    request(List.of("repository:" + new String(bytes, StandardCharsets.UTF_8) + ":pull"));
    request(java.util.Arrays.asList(new String(bytes, StandardCharsets.ISO_8859_1), null));
  }

  @Property(tries = 20)
  void hugeParametersAreARequest(@ForAll @IntRange(min = 1_000, max = 100_000) int count,
      @ForAll("hugePieces") String piece) {
    request(List.of(piece.repeat(count)));
  }

  private static void request(List<String> parameters) {
    Scope.Request request = Scope.parse(parameters);
    request.repositories().forEach((name, actions) -> {
      assertFalse(name.isEmpty());
      assertTrue(EnumSet.allOf(Action.class).containsAll(actions));
    });
  }

  @Provide
  Arbitrary<String> repositories() {
    return Arbitraries.strings().withCharRange('a', 'z').withChars("/._-:").ofMinLength(1).ofMaxLength(40)
        .filter(n -> !n.isBlank());
  }

  @Provide
  Arbitrary<String> scopeShaped() {
    Arbitrary<String> piece = Arbitraries.oneOf(Arbitraries.strings().alpha().ofMaxLength(6), Arbitraries.of(
        "repository", "registry", "catalog", ":", ",", " ", "\t", "pull", "push", "delete", "metadata_read",
        "metadata_write", "*", "app/web", "\u0000", "\u2003", "\n"));
    return piece.list().ofMaxSize(20).map(pieces -> String.join("", pieces)).injectNull(0.05);
  }

  @Provide
  Arbitrary<String> hugePieces() {
    return Arbitraries.of("repository:a:pull ", ":", ",", " ", "repository:", "repository:a:" + "pull,".repeat(3),
        "registry:catalog:* ");
  }
}
