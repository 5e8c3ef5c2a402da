"""Figures and animations of the book, drawn from the package's own geometry and recipe.

Every picture in the book comes from a function here (tested in ``tests/test_viz.py``);
notebooks call them instead of drawing by hand. Requires Matplotlib and Pillow.
"""

from .chain import ChainStep, chain_figure, chain_steps
from .gif import figure_to_rgb, frames_to_gif, show_figure, show_gif
from .grid import COLORS, draw_grid, finish_axes, subscript
from .pooling import pool_routes, pool_routing_figure
from .recipe import RecipeLayout, recipe_animation, recipe_figure, recipe_layout
from .scatter import scatter_figure, scatter_terms
from .training import curve_stats, image_grid_figure, learning_curves_figure
from .timing import check_benchmark, memory_figure, sizes_figure, strides_figure
from .windows import window_cells, windows_figure

__all__ = [
    "COLORS",
    "ChainStep",
    "chain_figure",
    "chain_steps",
    "RecipeLayout",
    "curve_stats",
    "check_benchmark",
    "draw_grid",
    "figure_to_rgb",
    "finish_axes",
    "frames_to_gif",
    "image_grid_figure",
    "learning_curves_figure",
    "pool_routes",
    "pool_routing_figure",
    "memory_figure",
    "recipe_animation",
    "recipe_figure",
    "recipe_layout",
    "scatter_figure",
    "scatter_terms",
    "show_figure",
    "show_gif",
    "sizes_figure",
    "strides_figure",
    "subscript",
    "window_cells",
    "windows_figure",
]
