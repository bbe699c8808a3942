package io.connectedregistry.auth;

import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/** One line of a scope map: these actions on the repositories the pattern matches. */
public record ScopeMapRule(RepositoryPattern pattern, Set<Action> actions) {

  public ScopeMapRule {
    Objects.requireNonNull(pattern, "pattern");
    if (actions == null || actions.isEmpty()) {
      throw new IllegalArgumentException("rule for '" + pattern + "' grants no action");
    }
    actions = Set.copyOf(EnumSet.copyOf(actions));
  }

  public static ScopeMapRule of(String pattern, Action... actions) {
    return new ScopeMapRule(RepositoryPattern.of(pattern), Set.of(actions));
  }
}
