(async (vendor) => {
  const context = vendor ? {exclude: [[vendor]]} : document;
  const result = await axe.run(context, {resultTypes: ["violations"]});
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => ({id: v.id, impact: v.impact, help: v.help, count: v.nodes.length,
                  targets: v.nodes.slice(0, 3).map((n) => n.target.join(" "))}));
})
