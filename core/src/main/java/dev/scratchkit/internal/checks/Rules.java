package dev.scratchkit.internal.checks;

import dev.scratchkit.doctor.Finding;
import dev.scratchkit.internal.view.ImageView;
import java.util.ArrayList;
import java.util.List;

/** Every rule, in the order their findings are reported: the program first, then what it needs. */
public final class Rules {

  private static final List<Rule> ALL = List.of(new EntrypointRule(), new SharedLibrariesRule(), new UnwinderRule(),
      new JavaRuntimeRule(), new UserRule(),
      new CaCertificatesRule(), new TimeZonesRule(), new GconvRule(), new LocaleRule(), new OpenSslModulesRule(),
      new NetworkDatabasesRule(), new TmpRule(), new WorkingDirectoryRule(),
      new EnvironmentRule(), new ArchitectureRule(), new ReplacedPathsRule());

  private Rules() {}

  /** {@return every rule} */
  public static List<Rule> all() {
    return ALL;
  }

  /**
   * Runs every rule.
   *
   * @param view the image
   * @return the findings, rule by rule
   */
  public static List<Finding> check(ImageView view) {
    CheckContext context = new CheckContext(view);
    List<Finding> findings = new ArrayList<>();
    for (Rule rule : ALL) {
      rule.check(context, findings);
    }
    return List.copyOf(findings);
  }
}
