package io.connectedregistry.auth;

import static io.connectedregistry.Generators.anyStrings;
import static io.connectedregistry.Generators.bytes;
import static io.connectedregistry.Generators.chars;
import static io.connectedregistry.Generators.joined;
import static io.connectedregistry.Generators.nullable;
import static io.connectedregistry.Generators.pick;
import static io.connectedregistry.Generators.strings;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

/**
 * {@link Scope#parse} reads the {@code scope} parameters of {@code /oauth2/token}, sent by any
 * client before it has logged in: whatever they hold, the answer is a request (malformed entries
 * ask for nothing), never an exception.
 */
class ScopeProperties {

  @Test
  void theScopeOfAChallengeAsksForTheActionsItWasMadeFor() {
    qt().withExamples(500).forAll(repositories(), actionSets()).checkAssert((repository, actions) -> {
      Scope.Request request = Scope.parse(List.of(Scope.challenge(repository, actions)));

      Set<Action> expected = actions.isEmpty() ? EnumSet.noneOf(Action.class) : EnumSet.copyOf(actions);
      if (actions.contains(Action.CONTENT_READ) || actions.contains(Action.METADATA_READ)) {
        expected.add(Action.CONTENT_READ); // "pull" asks for both reads
        expected.add(Action.METADATA_READ);
      }
      assertEquals(expected, request.repositories().get(repository));
      assertFalse(request.catalog());
    });
  }

  @Test
  void scopesSplitAcrossParametersAndSpacesAddUp() {
    qt().withExamples(500).forAll(lists().of(repositories()).ofSizeBetween(1, 8), booleans().all())
        .checkAssert((names, catalog) -> {
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
        });
  }

  @Test
  void anyParametersAreARequest() {
    qt().withExamples(1000).forAll(lists().of(scopeShaped()).ofSizeBetween(0, 5)).checkAssert(ScopeProperties::request);
  }

  @Test
  void anyStringsAreARequest() {
    qt().withExamples(1000).forAll(lists().of(anyStrings(100)).ofSizeBetween(0, 5)).checkAssert(ScopeProperties::request);
  }

  @Test
  void invalidUtf8IsARequest() {
    qt().withExamples(300).forAll(bytes(0, 300)).checkAssert(bytes -> {
      request(List.of("repository:" + new String(bytes, StandardCharsets.UTF_8) + ":pull"));
      request(Arrays.asList(new String(bytes, StandardCharsets.ISO_8859_1), null));
    });
  }

  @Test
  void hugeParametersAreARequest() {
    qt().withExamples(20).forAll(integers().between(1_000, 100_000), pick("repository:a:pull ", ":", ",", " ",
            "repository:", "repository:a:" + "pull,".repeat(3), "registry:catalog:* "))
        .checkAssert((count, piece) -> request(List.of(piece.repeat(count))));
  }

  private static void request(List<String> parameters) {
    Scope.Request request = Scope.parse(parameters);
    request.repositories().forEach((name, actions) -> {
      assertFalse(name.isEmpty());
      assertTrue(Action.repositoryActions().containsAll(actions));
    });
  }

  /** Any set of repository actions, the empty one included. */
  static Gen<Set<Action>> actionSets() {
    return lists().of(Generate.pick(List.copyOf(Action.repositoryActions())))
        .ofSizeBetween(0, Action.repositoryActions().size())
        .map(actions -> actions.isEmpty() ? EnumSet.noneOf(Action.class) : EnumSet.copyOf(actions));
  }

  /** Names of lowercase letters and the characters scopes separate with; never blank. */
  private static Gen<String> repositories() {
    return strings(Generate.oneOf(chars('a', 'z'), chars("/._-:")), 1, 40);
  }

  private static Gen<String> scopeShaped() {
    Gen<String> piece = Generate.oneOf(strings(Generate.oneOf(chars('a', 'z'), chars('A', 'Z')), 0, 6), pick(
        "repository", "registry", "catalog", ":", ",", " ", "\t", "pull", "push", "delete", "metadata_read",
        "metadata_write", "*", "app/web", "\u0000", "\u2003", "\n"));
    return nullable(joined(piece, 20), 5);
  }
}
