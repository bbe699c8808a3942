package io.connectedregistry.auth;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Named set of rules a token points to. Rules add up: a repository gets the union of the actions
 * of every rule whose pattern matches it.
 */
public record ScopeMap(String name, String description, List<ScopeMapRule> rules) {

  public static final int MAX_DESCRIPTION_LENGTH = 256;

  public ScopeMap {
    Names.check("scope map", name);
    description = description == null ? "" : description;
    if (description.length() > MAX_DESCRIPTION_LENGTH) {
      throw new IllegalArgumentException("description of scope map '" + name + "' is longer than "
          + MAX_DESCRIPTION_LENGTH + " characters");
    }
    rules = List.copyOf(Objects.requireNonNull(rules, "rules"));
  }

  /** The actions granted on {@code repository}; empty if no rule matches. Gateway rules never count. */
  public Set<Action> allowed(String repository) {
    EnumSet<Action> granted = EnumSet.noneOf(Action.class);
    for (ScopeMapRule rule : rules) {
      if (!rule.isGateway() && rule.pattern().matches(repository)) {
        granted.addAll(rule.actions());
      }
    }
    return Collections.unmodifiableSet(granted);
  }

  /** Whether a gateway rule grants {@code action} on the connected registry {@code registry}. */
  public boolean allowsGateway(String registry, Action action) {
    String target = ScopeMapRule.GATEWAY_PREFIX + registry;
    for (ScopeMapRule rule : rules) {
      if (rule.isGateway() && rule.actions().contains(action) && rule.pattern().matches(target)) {
        return true;
      }
    }
    return false;
  }

  /** True if some rule grants a repository action other than a read (gateway actions never count). */
  public boolean grantsWrite() {
    return rules.stream().flatMap(r -> r.actions().stream())
        .anyMatch(a -> !a.isGateway() && !a.isRead());
  }
}
