namespace Classify.Core.Metrics;

/// <summary>
/// Classification metrics that reproduce scikit-learn 1.2.1 to floating-point summation order: the same
/// formulas, the same tie handling in scores, the same threshold ordering and the same <c>zero_division=0</c>
/// conventions. Single-label inputs are class indices (<c>int[]</c>, 0 … K−1); multi-label inputs are
/// indicator matrices (<c>bool[n][L]</c>); scores are <c>double[n][K]</c>.
/// </summary>
/// <remarks>
/// Where scikit-learn raises because a score is undefined (ROC-AUC of a class with no positive or no negative
/// example, average precision of a class with no positive example) these functions return <see langword="null"/>,
/// and averages are taken over the classes whose score is defined.
/// </remarks>
public static class ClassificationMetrics
{
    /// <summary>Machine epsilon of float64 (<c>np.finfo(np.float64).eps</c>), the <c>eps="auto"</c> clip of <c>log_loss</c>.</summary>
    public const double Float64Epsilon = 2.220446049250313e-16;

    // ───────────────────────────── conversions ─────────────────────────────

    /// <summary>Turns label-index sets into an indicator matrix (<c>MultiLabelBinarizer</c>).</summary>
    public static bool[][] ToIndicator(IReadOnlyList<int[]> labelSets, int numLabels)
    {
        ArgumentNullException.ThrowIfNull(labelSets);
        var m = new bool[labelSets.Count][];
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = new bool[numLabels];
            foreach (int j in labelSets[i])
            {
                if ((uint)j >= (uint)numLabels)
                    throw new ArgumentOutOfRangeException(nameof(labelSets), $"Row {i} holds label index {j}, outside 0..{numLabels - 1}.");
                m[i][j] = true;
            }
        }
        return m;
    }

    /// <summary>One-hot encodes class indices (<c>label_binarize</c> with classes 0 … K−1).</summary>
    public static bool[][] OneHot(int[] classes, int numClasses)
    {
        CheckClasses(classes, numClasses, nameof(classes));
        var m = new bool[classes.Length][];
        for (int i = 0; i < m.Length; i++)
        {
            m[i] = new bool[numClasses];
            m[i][classes[i]] = true;
        }
        return m;
    }

    /// <summary>Column <paramref name="j"/> of an indicator matrix.</summary>
    public static bool[] Column(bool[][] matrix, int j) => Array.ConvertAll(matrix, row => row[j]);

    /// <summary>Column <paramref name="j"/> of a score matrix.</summary>
    public static double[] Column(double[][] matrix, int j) => Array.ConvertAll(matrix, row => row[j]);

    // ───────────────────────────── label metrics ─────────────────────────────

    /// <summary>Fraction of exactly correct predictions (<c>accuracy_score</c>).</summary>
    public static double AccuracyScore(int[] yTrue, int[] yPred)
    {
        CheckSameLength(yTrue, yPred);
        int correct = 0;
        for (int i = 0; i < yTrue.Length; i++) if (yTrue[i] == yPred[i]) correct++;
        return (double)correct / yTrue.Length;
    }

    /// <summary>Subset accuracy: fraction of rows whose predicted label set equals the gold set (<c>accuracy_score</c> on indicators).</summary>
    public static double AccuracyScore(bool[][] yTrue, bool[][] yPred)
    {
        CheckSameShape(yTrue, yPred);
        int correct = 0;
        for (int i = 0; i < yTrue.Length; i++) if (yTrue[i].AsSpan().SequenceEqual(yPred[i])) correct++;
        return (double)correct / yTrue.Length;
    }

    /// <summary>Fraction of wrong label assignments over all rows and labels (<c>hamming_loss</c>).</summary>
    public static double HammingLoss(bool[][] yTrue, bool[][] yPred)
    {
        int labels = CheckSameShape(yTrue, yPred);
        long wrong = 0;
        for (int i = 0; i < yTrue.Length; i++)
            for (int j = 0; j < labels; j++)
                if (yTrue[i][j] != yPred[i][j]) wrong++;
        return wrong / ((double)yTrue.Length * labels);
    }

    /// <summary>Single-label Hamming loss, 1 − accuracy (<c>hamming_loss</c> on class indices).</summary>
    public static double HammingLoss(int[] yTrue, int[] yPred) => 1.0 - AccuracyScore(yTrue, yPred);

    /// <summary>Confusion matrix C[gold][predicted] over classes 0 … K−1 (<c>confusion_matrix</c>).</summary>
    public static int[][] ConfusionMatrix(int[] yTrue, int[] yPred, int numClasses)
    {
        CheckSameLength(yTrue, yPred);
        CheckClasses(yTrue, numClasses, nameof(yTrue));
        CheckClasses(yPred, numClasses, nameof(yPred));
        var c = new int[numClasses][];
        for (int k = 0; k < numClasses; k++) c[k] = new int[numClasses];
        for (int i = 0; i < yTrue.Length; i++) c[yTrue[i]][yPred[i]]++;
        return c;
    }

    /// <summary>
    /// The non-zero cells of the confusion matrix as <c>[gold, predicted, count]</c> triples, ordered by gold then
    /// predicted class: <see cref="ConfusionMatrix"/> without the K×K zeros (at most one cell per example).
    /// </summary>
    public static int[][] SparseConfusionMatrix(int[] yTrue, int[] yPred, int numClasses)
    {
        CheckSameLength(yTrue, yPred);
        CheckClasses(yTrue, numClasses, nameof(yTrue));
        CheckClasses(yPred, numClasses, nameof(yPred));
        var counts = new Dictionary<long, int>();
        for (int i = 0; i < yTrue.Length; i++)
        {
            long key = (long)yTrue[i] * numClasses + yPred[i];
            counts[key] = counts.GetValueOrDefault(key) + 1;
        }
        return counts.OrderBy(kv => kv.Key).Select(kv => new[] { (int)(kv.Key / numClasses), (int)(kv.Key % numClasses), kv.Value }).ToArray();
    }

    /// <summary>One 2×2 matrix <c>[[tn, fp], [fn, tp]]</c> per label (<c>multilabel_confusion_matrix</c>).</summary>
    public static int[][][] MultilabelConfusionMatrix(bool[][] yTrue, bool[][] yPred)
    {
        int labels = CheckSameShape(yTrue, yPred);
        var tp = new int[labels];
        var fp = new int[labels];
        var fn = new int[labels];
        for (int i = 0; i < yTrue.Length; i++)
            for (int j = 0; j < labels; j++)
            {
                if (yTrue[i][j] && yPred[i][j]) tp[j]++;
                else if (yPred[i][j]) fp[j]++;
                else if (yTrue[i][j]) fn[j]++;
            }
        var m = new int[labels][][];
        for (int j = 0; j < labels; j++)
        {
            int tn = yTrue.Length - tp[j] - fp[j] - fn[j];
            m[j] = [[tn, fp[j]], [fn[j], tp[j]]];
        }
        return m;
    }

    /// <summary>Multi-class data as one-vs-rest 2×2 matrices <c>[[tn, fp], [fn, tp]]</c> per class.</summary>
    public static int[][][] MultilabelConfusionMatrix(int[] yTrue, int[] yPred, int numClasses) =>
        MultilabelConfusionMatrix(OneHot(yTrue, numClasses), OneHot(yPred, numClasses));

    /// <summary>Per-class precision, recall, F1 and support over classes 0 … K−1, <c>zero_division=0</c>.</summary>
    public static PrecisionRecallFScore PrecisionRecallFScoreSupport(int[] yTrue, int[] yPred, int numClasses) =>
        PrecisionRecallFScoreSupport(OneHot(yTrue, numClasses), OneHot(yPred, numClasses));

    /// <summary>Per-label precision, recall, F1 and support of a multi-label prediction, <c>zero_division=0</c>.</summary>
    public static PrecisionRecallFScore PrecisionRecallFScoreSupport(bool[][] yTrue, bool[][] yPred)
    {
        var mcm = MultilabelConfusionMatrix(yTrue, yPred);
        int labels = mcm.Length;
        var precision = new double[labels];
        var recall = new double[labels];
        var f1 = new double[labels];
        var support = new int[labels];
        for (int j = 0; j < labels; j++)
        {
            int tp = mcm[j][1][1], predicted = tp + mcm[j][0][1], actual = tp + mcm[j][1][0];
            precision[j] = Divide(tp, predicted);
            recall[j] = Divide(tp, actual);
            f1[j] = FScore(precision[j], recall[j]);
            support[j] = actual;
        }
        return new PrecisionRecallFScore(precision, recall, f1, support);
    }

    /// <summary>Averaged precision, recall and F1 of a single-label prediction (<see cref="MetricAverage.Samples"/> is not allowed).</summary>
    public static AveragedScores PrecisionRecallFScore(int[] yTrue, int[] yPred, int numClasses, MetricAverage average)
    {
        if (average == MetricAverage.Samples)
            throw new ArgumentException("Sample averaging applies to multi-label data only.", nameof(average));
        return PrecisionRecallFScore(OneHot(yTrue, numClasses), OneHot(yPred, numClasses), average);
    }

    /// <summary>Averaged precision, recall and F1 of a multi-label prediction, <c>zero_division=0</c>.</summary>
    /// <remarks>
    /// As in scikit-learn 1.2.1, F1 is computed from the (per-class, pooled or per-row) precision and recall, and with
    /// <see cref="MetricAverage.Samples"/> a row whose gold and predicted sets are both empty scores 0 for P, R and F1.
    /// </remarks>
    public static AveragedScores PrecisionRecallFScore(bool[][] yTrue, bool[][] yPred, MetricAverage average)
    {
        int labels = CheckSameShape(yTrue, yPred);
        switch (average)
        {
            case MetricAverage.Micro:
            {
                var mcm = MultilabelConfusionMatrix(yTrue, yPred);
                long tp = 0, predicted = 0, actual = 0;
                foreach (var m in mcm)
                {
                    tp += m[1][1];
                    predicted += m[1][1] + m[0][1];
                    actual += m[1][1] + m[1][0];
                }
                double p = Divide(tp, predicted), r = Divide(tp, actual);
                return new AveragedScores(p, r, FScore(p, r));
            }
            case MetricAverage.Macro:
            {
                var s = PrecisionRecallFScoreSupport(yTrue, yPred);
                return new AveragedScores(Mean(s.Precision), Mean(s.Recall), Mean(s.F1));
            }
            case MetricAverage.Weighted:
            {
                var s = PrecisionRecallFScoreSupport(yTrue, yPred);
                long total = 0;
                foreach (int n in s.Support) total += n;
                if (total == 0) return new AveragedScores(0, 0, 0);
                var w = Array.ConvertAll(s.Support, n => (double)n);
                return new AveragedScores(WeightedMean(s.Precision, w), WeightedMean(s.Recall, w), WeightedMean(s.F1, w));
            }
            case MetricAverage.Samples:
            {
                double sp = 0, sr = 0, sf = 0;
                for (int i = 0; i < yTrue.Length; i++)
                {
                    int tp = 0, predicted = 0, actual = 0;
                    for (int j = 0; j < labels; j++)
                    {
                        if (yPred[i][j]) predicted++;
                        if (yTrue[i][j]) { actual++; if (yPred[i][j]) tp++; }
                    }
                    double p = Divide(tp, predicted), r = Divide(tp, actual);
                    sp += p;
                    sr += r;
                    sf += FScore(p, r);
                }
                return new AveragedScores(sp / yTrue.Length, sr / yTrue.Length, sf / yTrue.Length);
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(average));
        }
    }

    /// <summary>Mean of per-class recall over the classes present in <paramref name="yTrue"/> (<c>balanced_accuracy_score</c>).</summary>
    public static double BalancedAccuracyScore(int[] yTrue, int[] yPred, int numClasses)
    {
        var c = ConfusionMatrix(yTrue, yPred, numClasses);
        double sum = 0;
        int present = 0;
        for (int k = 0; k < numClasses; k++)
        {
            int rowSum = c[k].Sum();
            if (rowSum == 0) continue; // scikit-learn drops the NaN recall of classes absent from the gold labels
            sum += (double)c[k][k] / rowSum;
            present++;
        }
        return sum / present;
    }

    /// <summary>Multi-class Matthews correlation coefficient (<c>matthews_corrcoef</c>); 0 when undefined.</summary>
    public static double MatthewsCorrCoef(int[] yTrue, int[] yPred, int numClasses)
    {
        var c = ConfusionMatrix(yTrue, yPred, numClasses);
        var t = new double[numClasses];
        var p = new double[numClasses];
        double correct = 0;
        for (int a = 0; a < numClasses; a++)
            for (int b = 0; b < numClasses; b++)
            {
                t[a] += c[a][b];
                p[b] += c[a][b];
                if (a == b) correct += c[a][b];
            }
        double n = p.Sum();
        double covTp = correct * n - Dot(t, p);
        double covPp = n * n - Dot(p, p);
        double covTt = n * n - Dot(t, t);
        return covPp * covTt == 0 ? 0.0 : covTp / Math.Sqrt(covTt * covPp);
    }

    /// <summary>Cohen's kappa between gold and predicted classes, unweighted (<c>cohen_kappa_score</c>).</summary>
    public static double CohenKappaScore(int[] yTrue, int[] yPred, int numClasses)
    {
        var c = ConfusionMatrix(yTrue, yPred, numClasses);
        var colSum = new double[numClasses];
        var rowSum = new double[numClasses];
        for (int a = 0; a < numClasses; a++)
            for (int b = 0; b < numClasses; b++)
            {
                rowSum[a] += c[a][b];
                colSum[b] += c[a][b];
            }
        double total = colSum.Sum();
        double observed = 0, expected = 0;
        // scikit-learn: expected = outer(sum0, sum1) / n, indexed [i][j] = colSum[i] * rowSum[j] / n.
        for (int a = 0; a < numClasses; a++)
            for (int b = 0; b < numClasses; b++)
            {
                if (a == b) continue;
                observed += c[a][b];
                expected += colSum[a] * rowSum[b] / total;
            }
        return 1 - observed / expected;
    }

    // ───────────────────────────── curves ─────────────────────────────

    /// <summary>
    /// ROC curve of binary scores (scikit-learn 1.2.1 <c>roc_curve</c>). With <paramref name="dropIntermediate"/>
    /// (the default), thresholds whose points are collinear with their neighbours are dropped. The first point is
    /// (0, 0) at threshold <c>max(score) + 1</c>. When a class is absent its rate is NaN, as in scikit-learn.
    /// </summary>
    public static RocCurve RocCurve(bool[] yTrue, double[] yScore, bool dropIntermediate = true)
    {
        var (fps, tps, thresholds) = BinaryClfCurve(yTrue, yScore);
        if (dropIntermediate && fps.Length > 2)
        {
            // Keep the end points and every point where the second difference of fps or tps is non-zero.
            var keep = new List<int> { 0 };
            for (int i = 1; i < fps.Length - 1; i++)
            {
                double d2f = fps[i + 1] - 2 * fps[i] + fps[i - 1];
                double d2t = tps[i + 1] - 2 * tps[i] + tps[i - 1];
                if (d2f != 0 || d2t != 0) keep.Add(i);
            }
            keep.Add(fps.Length - 1);
            fps = keep.Select(i => fps[i]).ToArray();
            tps = keep.Select(i => tps[i]).ToArray();
            thresholds = keep.Select(i => thresholds[i]).ToArray();
        }
        int n = fps.Length + 1;
        var fpr = new double[n];
        var tpr = new double[n];
        var th = new double[n];
        th[0] = thresholds[0] + 1;
        double lastFp = fps[^1], lastTp = tps[^1];
        for (int i = 1; i < n; i++)
        {
            fpr[i] = lastFp <= 0 ? double.NaN : fps[i - 1] / lastFp;
            tpr[i] = lastTp <= 0 ? double.NaN : tps[i - 1] / lastTp;
            th[i] = thresholds[i - 1];
        }
        if (lastFp <= 0) fpr[0] = double.NaN;
        if (lastTp <= 0) tpr[0] = double.NaN;
        return new RocCurve(fpr, tpr, th);
    }

    /// <summary>
    /// Precision–recall curve of binary scores (scikit-learn 1.2.1 <c>precision_recall_curve</c>): one point per
    /// distinct score, thresholds ascending, then the point (precision 1, recall 0). Precision is 0 where nothing
    /// is predicted positive; with no positive example recall is 1 at every threshold.
    /// </summary>
    public static PrecisionRecallCurve PrecisionRecallCurve(bool[] yTrue, double[] yScore)
    {
        var (fps, tps, thresholds) = BinaryClfCurve(yTrue, yScore);
        int m = fps.Length;
        var precision = new double[m + 1];
        var recall = new double[m + 1];
        var th = new double[m];
        double lastTp = tps[^1];
        for (int i = 0; i < m; i++)
        {
            int src = m - 1 - i; // reversed: recall decreasing
            double predicted = tps[src] + fps[src];
            precision[i] = predicted != 0 ? tps[src] / predicted : 0.0;
            recall[i] = lastTp == 0 ? 1.0 : tps[src] / lastTp;
            th[i] = thresholds[src];
        }
        precision[m] = 1;
        recall[m] = 0;
        return new PrecisionRecallCurve(precision, recall, th);
    }

    // ───────────────────────────── ranking scores ─────────────────────────────

    /// <summary>
    /// Area under the ROC curve of binary scores (<c>roc_auc_score</c>): the trapezoidal area under
    /// <see cref="RocCurve"/> with intermediate points dropped. <see langword="null"/> when <paramref name="yTrue"/>
    /// lacks positives or negatives (undefined).
    /// </summary>
    public static double? RocAucScore(bool[] yTrue, double[] yScore)
    {
        if (!HasBothClasses(yTrue)) return null;
        return RocCurve(yTrue, yScore).Area();
    }

    /// <summary>
    /// One-vs-rest ROC-AUC of an indicator matrix (multi-label, or one-hot multi-class), averaged
    /// (<c>roc_auc_score(average=...)</c>). Macro and weighted averages run over the labels whose AUC is defined;
    /// <see langword="null"/> when none is. Micro pools all (row, label) pairs into one binary problem.
    /// </summary>
    public static double? RocAucScore(bool[][] yTrue, double[][] yScore, MetricAverage average) =>
        AverageBinaryScore(yTrue, yScore, average, RocAucScore);

    /// <summary>Per-label ROC-AUC of an indicator matrix; <see langword="null"/> where undefined.</summary>
    public static double?[] RocAucScorePerLabel(bool[][] yTrue, double[][] yScore)
    {
        int labels = CheckSameShape(yTrue, yScore);
        var result = new double?[labels];
        for (int j = 0; j < labels; j++) result[j] = RocAucScore(Column(yTrue, j), Column(yScore, j));
        return result;
    }

    /// <summary>Multi-class one-vs-rest ROC-AUC (<c>roc_auc_score(multi_class="ovr", average=...)</c>).</summary>
    public static double? RocAucScoreOneVsRest(int[] yTrue, double[][] yScore, MetricAverage average) =>
        RocAucScore(OneHot(yTrue, Width(yScore)), yScore, average);

    /// <summary>
    /// Multi-class one-vs-one ROC-AUC of Hand and Till (<c>roc_auc_score(multi_class="ovo")</c>): for every pair of
    /// classes present in <paramref name="yTrue"/>, the mean of the two pairwise AUCs, then averaged over pairs
    /// (weighted by the pair's prevalence when <paramref name="weighted"/>). <see langword="null"/> with fewer than two classes.
    /// </summary>
    public static double? RocAucScoreOneVsOne(int[] yTrue, double[][] yScore, bool weighted = false)
    {
        int k = Width(yScore);
        CheckClasses(yTrue, k, nameof(yTrue));
        if (yTrue.Length != yScore.Length) throw new ArgumentException("yTrue and yScore differ in length.");
        var present = yTrue.Distinct().Order().ToArray();
        if (present.Length < 2) return null;
        double sum = 0, weightSum = 0;
        for (int x = 0; x < present.Length; x++)
            for (int y = x + 1; y < present.Length; y++)
            {
                int a = present[x], b = present[y];
                var rows = Enumerable.Range(0, yTrue.Length).Where(i => yTrue[i] == a || yTrue[i] == b).ToArray();
                double aucA = RocAucScore(rows.Select(i => yTrue[i] == a).ToArray(), rows.Select(i => yScore[i][a]).ToArray())!.Value;
                double aucB = RocAucScore(rows.Select(i => yTrue[i] == b).ToArray(), rows.Select(i => yScore[i][b]).ToArray())!.Value;
                double w = weighted ? (double)rows.Length / yTrue.Length : 1.0;
                sum += w * ((aucA + aucB) / 2);
                weightSum += w;
            }
        return sum / weightSum;
    }

    /// <summary>
    /// Average precision of binary scores (<c>average_precision_score</c>): Σₙ (Rₙ − Rₙ₋₁)·Pₙ over distinct
    /// thresholds, no interpolation. <see langword="null"/> when there is no positive example (undefined).
    /// </summary>
    public static double? AveragePrecisionScore(bool[] yTrue, double[] yScore)
    {
        if (Array.IndexOf(yTrue, true) < 0) return null;
        return PrecisionRecallCurve(yTrue, yScore).AveragePrecision();
    }

    /// <summary>
    /// Average precision of an indicator matrix, averaged like <see cref="RocAucScore(bool[][], double[][], MetricAverage)"/>:
    /// macro/weighted over labels with at least one positive; micro over all (row, label) pairs.
    /// </summary>
    public static double? AveragePrecisionScore(bool[][] yTrue, double[][] yScore, MetricAverage average) =>
        AverageBinaryScore(yTrue, yScore, average, AveragePrecisionScore);

    /// <summary>Per-label average precision; <see langword="null"/> for labels without positives.</summary>
    public static double?[] AveragePrecisionScorePerLabel(bool[][] yTrue, double[][] yScore)
    {
        int labels = CheckSameShape(yTrue, yScore);
        var result = new double?[labels];
        for (int j = 0; j < labels; j++) result[j] = AveragePrecisionScore(Column(yTrue, j), Column(yScore, j));
        return result;
    }

    /// <summary>Multi-class one-vs-rest average precision (classes one-hot encoded).</summary>
    public static double? AveragePrecisionScoreOneVsRest(int[] yTrue, double[][] yScore, MetricAverage average) =>
        AveragePrecisionScore(OneHot(yTrue, Width(yScore)), yScore, average);

    /// <summary>
    /// Label ranking average precision (<c>label_ranking_average_precision_score</c>): for each gold label of a row,
    /// the fraction of labels ranked at or above it that are gold, averaged; rows whose gold set is empty or full score 1.
    /// </summary>
    public static double LabelRankingAveragePrecisionScore(bool[][] yTrue, double[][] yScore)
    {
        int labels = CheckSameShape(yTrue, yScore);
        double total = 0;
        for (int i = 0; i < yTrue.Length; i++)
        {
            var relevant = Enumerable.Range(0, labels).Where(j => yTrue[i][j]).ToArray();
            if (relevant.Length == 0 || relevant.Length == labels) { total += 1.0; continue; }
            double sum = 0;
            foreach (int j in relevant)
            {
                double s = yScore[i][j];
                // "max" ranks: how many labels (resp. gold labels) score at least as high as label j.
                int rank = 0, goldRank = 0;
                for (int q = 0; q < labels; q++)
                    if (yScore[i][q] >= s) { rank++; if (yTrue[i][q]) goldRank++; }
                sum += (double)goldRank / rank;
            }
            total += sum / relevant.Length;
        }
        return total / yTrue.Length;
    }

    // ───────────────────────────── probabilistic losses ─────────────────────────────

    /// <summary>
    /// Multi-class cross-entropy with the natural log, mean over rows (<c>log_loss</c>, scikit-learn 1.2.1 with
    /// <c>eps="auto"</c>): probabilities are clipped to [ε, 1−ε] with ε the float64 machine epsilon, each row is
    /// renormalised to sum 1, and −log p(gold) is averaged. Column k is class k.
    /// </summary>
    public static double LogLoss(int[] yTrue, double[][] yProb)
    {
        int k = Width(yProb);
        CheckClasses(yTrue, k, nameof(yTrue));
        if (yTrue.Length != yProb.Length) throw new ArgumentException("yTrue and yProb differ in length.");
        double sum = 0;
        for (int i = 0; i < yTrue.Length; i++)
        {
            double rowSum = 0;
            for (int c = 0; c < k; c++) rowSum += Clip(yProb[i][c]);
            sum += -Math.Log(Clip(yProb[i][yTrue[i]]) / rowSum);
        }
        return sum / yTrue.Length;
    }

    /// <summary>
    /// Binary cross-entropy of positive-class probabilities, mean over rows (<c>log_loss</c> on a 1-D
    /// <c>y_pred</c>: clipped, expanded to [1−p, p] and renormalised).
    /// </summary>
    public static double LogLoss(bool[] yTrue, double[] pPositive)
    {
        CheckSameLength(yTrue, pPositive);
        double sum = 0;
        for (int i = 0; i < yTrue.Length; i++) sum += BinaryLogLossTerm(yTrue[i], pPositive[i]);
        return sum / yTrue.Length;
    }

    /// <summary>Multi-label loss: binary cross-entropy averaged over every (row, label) pair.</summary>
    public static double MeanBinaryLogLoss(bool[][] yTrue, double[][] yProb)
    {
        int labels = CheckSameShape(yTrue, yProb);
        double sum = 0;
        for (int i = 0; i < yTrue.Length; i++)
            for (int j = 0; j < labels; j++)
                sum += BinaryLogLossTerm(yTrue[i][j], yProb[i][j]);
        return sum / ((double)yTrue.Length * labels);
    }

    /// <summary>Binary Brier score: mean squared difference between the 0/1 outcome and the positive probability (<c>brier_score_loss</c>).</summary>
    public static double BrierScoreLoss(bool[] yTrue, double[] pPositive)
    {
        CheckSameLength(yTrue, pPositive);
        double sum = 0;
        for (int i = 0; i < yTrue.Length; i++)
        {
            double d = (yTrue[i] ? 1.0 : 0.0) - pPositive[i];
            sum += d * d;
        }
        return sum / yTrue.Length;
    }

    /// <summary>Multi-class Brier score: Σₖ (onehotₖ − pₖ)² per row, mean over rows (ranges 0 … 2).</summary>
    public static double MulticlassBrierScore(int[] yTrue, double[][] yProb)
    {
        int k = Width(yProb);
        CheckClasses(yTrue, k, nameof(yTrue));
        if (yTrue.Length != yProb.Length) throw new ArgumentException("yTrue and yProb differ in length.");
        double sum = 0;
        for (int i = 0; i < yTrue.Length; i++)
        {
            double row = 0;
            for (int c = 0; c < k; c++)
            {
                double d = (c == yTrue[i] ? 1.0 : 0.0) - yProb[i][c];
                row += d * d;
            }
            sum += row;
        }
        return sum / yTrue.Length;
    }

    /// <summary>Multi-label Brier score: the binary Brier score averaged over every (row, label) pair.</summary>
    public static double MeanBrierScore(bool[][] yTrue, double[][] yProb)
    {
        int labels = CheckSameShape(yTrue, yProb);
        double sum = 0;
        for (int j = 0; j < labels; j++) sum += BrierScoreLoss(Column(yTrue, j), Column(yProb, j));
        return sum / labels;
    }

    // ───────────────────────────── internals ─────────────────────────────

    /// <summary>Trapezoidal area under y(x) (<c>np.trapz(y, x)</c>, as <c>sklearn.metrics.auc</c> uses it).</summary>
    internal static double Trapezoid(double[] x, double[] y)
    {
        double area = 0;
        for (int i = 0; i < x.Length - 1; i++) area += (x[i + 1] - x[i]) * (y[i + 1] + y[i]) / 2.0;
        // auc() flips the sign when x decreases; ROC x (fpr) never decreases, so this only guards misuse.
        bool decreasing = x.Length > 1 && x[^1] < x[0];
        return decreasing ? -area : area;
    }

    /// <summary>
    /// scikit-learn's <c>_binary_clf_curve</c>: false and true positive counts at each distinct score, scores
    /// descending. Ties form a single threshold, so the order inside a tie never matters.
    /// </summary>
    private static (double[] Fps, double[] Tps, double[] Thresholds) BinaryClfCurve(bool[] yTrue, double[] yScore)
    {
        CheckSameLength(yTrue, yScore);
        foreach (double s in yScore)
            if (!double.IsFinite(s)) throw new ArgumentException("Scores must be finite.", nameof(yScore));
        var order = new int[yScore.Length];
        for (int i = 0; i < order.Length; i++) order[i] = i;
        var keys = (double[])yScore.Clone();
        Array.Sort(keys, order);
        Array.Reverse(keys);
        Array.Reverse(order);
        var fps = new List<double>();
        var tps = new List<double>();
        var thresholds = new List<double>();
        double tp = 0;
        for (int i = 0; i < keys.Length; i++)
        {
            if (yTrue[order[i]]) tp++;
            if (i == keys.Length - 1 || keys[i + 1] != keys[i])
            {
                tps.Add(tp);
                fps.Add(1 + i - tp);
                thresholds.Add(keys[i]);
            }
        }
        return (fps.ToArray(), tps.ToArray(), thresholds.ToArray());
    }

    private static double? AverageBinaryScore(bool[][] yTrue, double[][] yScore, MetricAverage average,
        Func<bool[], double[], double?> score)
    {
        int labels = CheckSameShape(yTrue, yScore);
        switch (average)
        {
            case MetricAverage.Micro:
                return score(yTrue.SelectMany(r => r).ToArray(), yScore.SelectMany(r => r).ToArray());
            case MetricAverage.Macro:
            case MetricAverage.Weighted:
            {
                double sum = 0, weightSum = 0;
                for (int j = 0; j < labels; j++)
                {
                    var column = Column(yTrue, j);
                    if (score(column, Column(yScore, j)) is not { } s) continue;
                    double w = average == MetricAverage.Macro ? 1.0 : column.Count(b => b);
                    sum += w * s;
                    weightSum += w;
                }
                return weightSum > 0 ? sum / weightSum : null;
            }
            case MetricAverage.Samples:
            {
                double sum = 0;
                int defined = 0;
                for (int i = 0; i < yTrue.Length; i++)
                    if (score(yTrue[i], yScore[i]) is { } s) { sum += s; defined++; }
                return defined > 0 ? sum / defined : null;
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(average));
        }
    }

    private static double BinaryLogLossTerm(bool positive, double p)
    {
        // scikit-learn clips p, builds the row [1 - p, p] and renormalises it.
        double p1 = Clip(p), p0 = 1 - p1;
        double rowSum = p0 + p1;
        return -Math.Log((positive ? p1 : p0) / rowSum);
    }

    private static double Clip(double p) => Math.Clamp(p, Float64Epsilon, 1 - Float64Epsilon);

    private static double Divide(long numerator, long denominator) => denominator == 0 ? 0.0 : (double)numerator / denominator;

    private static double FScore(double precision, double recall)
    {
        double denom = precision + recall;
        return denom == 0 ? 0.0 : 2 * precision * recall / denom;
    }

    private static double Mean(double[] values) => values.Length == 0 ? 0.0 : values.Sum() / values.Length;

    private static double WeightedMean(double[] values, double[] weights)
    {
        double sum = 0, w = 0;
        for (int i = 0; i < values.Length; i++)
        {
            sum += values[i] * weights[i];
            w += weights[i];
        }
        return sum / w;
    }

    private static double Dot(double[] a, double[] b)
    {
        double s = 0;
        for (int i = 0; i < a.Length; i++) s += a[i] * b[i];
        return s;
    }

    private static bool HasBothClasses(bool[] y) => Array.IndexOf(y, true) >= 0 && Array.IndexOf(y, false) >= 0;

    private static int Width(double[][] m)
    {
        ArgumentNullException.ThrowIfNull(m);
        if (m.Length == 0) throw new ArgumentException("No rows.", nameof(m));
        return m[0].Length;
    }

    private static void CheckClasses(int[] classes, int numClasses, string name)
    {
        ArgumentNullException.ThrowIfNull(classes, name);
        foreach (int c in classes)
            if ((uint)c >= (uint)numClasses)
                throw new ArgumentOutOfRangeException(name, $"Class index {c} is outside 0..{numClasses - 1}.");
    }

    private static void CheckSameLength<TA, TB>(TA[] a, TB[] b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        if (a.Length != b.Length) throw new ArgumentException($"Inputs differ in length ({a.Length} vs {b.Length}).");
        if (a.Length == 0) throw new ArgumentException("Metrics need at least one sample.");
    }

    private static int CheckSameShape<TA, TB>(TA[][] a, TB[][] b)
    {
        CheckSameLength(a, b);
        int width = a[0].Length;
        for (int i = 0; i < a.Length; i++)
            if (a[i].Length != width || b[i].Length != width)
                throw new ArgumentException($"Row {i} has {a[i].Length} and {b[i].Length} columns; expected {width}.");
        return width;
    }
}
