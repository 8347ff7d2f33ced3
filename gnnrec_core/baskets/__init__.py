"""Association analysis from baskets alone: basket statistics, rules, basket completion."""
