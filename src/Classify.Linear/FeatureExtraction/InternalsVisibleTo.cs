using System.Runtime.CompilerServices;

// The NumPy argsort port is checked directly against NumPy's output.
[assembly: InternalsVisibleTo("Classify.Linear.Tests")]
// The ensemble benchmark times LinearEnsemble.Fit (warm and cold) against single fits.
[assembly: InternalsVisibleTo("Classify.Bench.Linear")]
