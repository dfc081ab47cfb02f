using System.Runtime.CompilerServices;

// The NumPy argsort port is checked directly against NumPy's output.
[assembly: InternalsVisibleTo("Classify.Linear.Tests")]
